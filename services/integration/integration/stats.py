"""Daily aggregates for statistics offices, without personal data: per office, service and day, the bookings
for that day (created or moved there and not cancelled), visitors served, no-shows and mean wait from
joining the queue to being called. Published once per day as ``id.go.imigrasi.antre.stats.daily.v1`` on
antre.integration (so they also reach the replay), from what the replay store holds and the no-shows
scheduling reports inside the suite (booking id only).

A day is published once it has ended in every office (WIB, UTC+7, ends last) plus ``stats_delay_hours``
(no-shows are marked after the slot's grace period). ``stats_day`` makes each day's publication happen
once, in the same transaction as its outbox rows.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from integration import events
from integration.models import NoShow, StatsDay, StoredEvent

BOOKING_TYPES = (
    "id.go.imigrasi.antre.booking.created.v1",
    "id.go.imigrasi.antre.booking.rescheduled.v1",
    "id.go.imigrasi.antre.booking.cancelled.v1",
)
COMPLETED = "id.go.imigrasi.antre.ticket.completed.v1"
LAST_OFFSET = timedelta(hours=7)  # Asia/Jakarta: Indonesia's day ends last there


def record_no_show(db, booking_id):
    with db.transaction() as session:
        session.execute(pg_insert(NoShow).values(booking_id=str(booking_id)).on_conflict_do_nothing())


def last_ended_day(now, delay_hours):
    return (now + LAST_OFFSET - timedelta(hours=delay_hours)).date() - timedelta(days=1)


class DailyStats:
    """``DailyStats(db, settings, timezone_of).publish_due(now)``; ``timezone_of(office_code)`` → IANA name."""

    def __init__(self, db, settings, timezone_of):
        self.db = db
        self.settings = settings
        self.timezone_of = timezone_of

    def publish_due(self, now):
        last = last_ended_day(now, self.settings.stats_delay_hours)
        days = [last - timedelta(days=n) for n in range(self.settings.stats_catch_up_days - 1, -1, -1)]
        return sum(self.publish_day(day) for day in days)

    def publish_day(self, day):
        """How many aggregates were published for ``day`` (0 when it was published before)."""
        with self.db.transaction() as session:
            claimed = session.execute(pg_insert(StatsDay).values(day=day).on_conflict_do_nothing()).rowcount
            if not claimed:
                return 0
            rows = self.compute(session, day)
            for (office, service), row in sorted(rows.items()):
                events.emit(self.db, events.DAILY_STATS, events.daily_stats(day, office, service, **row))
        return len(rows)

    def compute(self, session, day: date):
        rows = defaultdict(lambda: {"bookings": 0, "served": 0, "no_shows": 0, "mean_wait_seconds": None})
        latest = {}  # booking_id: (type, data) of its newest event
        for ce_type, data in session.execute(
            select(StoredEvent.type, StoredEvent.event["data"])
            .where(StoredEvent.type.in_(BOOKING_TYPES))
            .order_by(StoredEvent.tx, StoredEvent.seq)
        ):
            latest[data.get("booking_id")] = (ce_type, data)
        for ce_type, data in latest.values():
            if data.get("date") == day.isoformat() and ce_type != BOOKING_TYPES[2]:
                rows[data["office_code"], data["service_code"]]["bookings"] += 1
        for (booking_id,) in session.execute(select(NoShow.booking_id)):
            _, data = latest.get(str(booking_id), (None, {}))
            if data.get("date") == day.isoformat():
                rows[data["office_code"], data["service_code"]]["no_shows"] += 1
        waits = defaultdict(list)
        start = datetime.combine(day, datetime.min.time(), UTC) - timedelta(days=1)
        for event in session.scalars(
            select(StoredEvent.event).where(
                StoredEvent.type == COMPLETED,
                StoredEvent.received_at >= start,
                StoredEvent.received_at < start + timedelta(days=3),
            )
        ):
            data = event["data"]
            local = datetime.fromisoformat(event["time"]).astimezone(ZoneInfo(self.timezone_of(data["office_code"])))
            if local.date() == day:
                waits[data["office_code"], data["service_code"]].append(data["wait_seconds"])
        for key, values in waits.items():
            rows[key]["served"] = len(values)
            rows[key]["mean_wait_seconds"] = sum(values) / len(values)
        return dict(rows)
