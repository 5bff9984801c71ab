"""Forecast and statistics for supervisors: plain aggregates over bookings and tickets of one office."""

import math
from datetime import timedelta

from sqlalchemy import Integer, case, cast, func, select

from scheduling import capacity
from scheduling.exceptions import ValidationError
from scheduling.models import Booking, Slot, Ticket

HISTORY_DAYS = 28
DEFAULT_NO_SHOW_RATE = 0.1  # before the office has history
MAX_DAYS = 31


def days_between(date_from, date_to):
    if date_to < date_from:
        raise ValidationError("invalid range", errors={"to": ["must not be before from"]})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError("range too long", errors={"to": [f"at most {MAX_DAYS} days"]})
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def _booked_per_day(session, office_code, days):
    rows = session.execute(
        select(Slot.date, func.count(Booking.id))
        .join(Booking, Booking.slot_id == Slot.id)
        .where(Slot.office_code == office_code, Slot.date.in_(days), Booking.status != "cancelled")
        .group_by(Slot.date)
    ).all()
    return dict(rows)


def forecast(session, now, office, layout, durations, date_from, date_to):
    """Per day: booked, expected no-shows (the office's recent rate), expected walk-ins (the mean of the
    same weekday recently), expected visitors and the counters that serves them within opening hours."""
    today = capacity.local_today(now, office.timezone)
    days = days_between(date_from or today, date_to or today + timedelta(days=6))
    since = today - timedelta(days=HISTORY_DAYS)
    past = session.execute(
        select(
            func.count().filter(Booking.status == "no_show"),
            func.count().filter(Booking.status.in_(("completed", "checked_in", "called", "serving", "no_show"))),
        )
        .select_from(Booking)
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.office_code == office.code, Slot.date >= since, Slot.date < today)
    ).one()
    rate = past[0] / past[1] if past[1] else DEFAULT_NO_SHOW_RATE
    walk_ins = dict(
        session.execute(
            select(cast(func.extract("isodow", Ticket.day), Integer), func.count() / 4.0)
            .where(Ticket.office_code == office.code, Ticket.kind == "walk_in", Ticket.day >= since,
                   Ticket.day < today)
            .group_by(func.extract("isodow", Ticket.day))
        ).all()
    )  # fmt: skip
    booked = _booked_per_day(session, office.code, days)
    mean_minutes = sum(durations.values()) / len(durations) if durations else 20
    out = []
    for day in days:
        open_minutes = sum((s.end_at - s.start_at).total_seconds() / 60 for s in capacity.day_slots(layout, day))
        n = booked.get(day, 0)
        walk = round(float(walk_ins.get(day.isoweekday(), 0)), 1) if open_minutes else 0
        expected = round(n * (1 - rate) + walk, 1)
        counters = math.ceil(expected * mean_minutes / open_minutes) if open_minutes and expected else 0
        out.append(
            {
                "date": day.isoformat(),
                "booked": n,
                "expected_no_show": round(n * rate, 1),
                "expected_walk_in": walk,
                "expected_visitors": expected,
                "recommended_counters": counters,
                "closed": capacity.closed_reason(layout, day),
            }
        )
    return out


def stats(session, now, office, date_from, date_to):
    """Per day: bookings, cancellations, no-shows (by slot date), walk-ins and served (tickets), mean and
    p90 wait from arrival to call, mean service time, in minutes."""
    today = capacity.local_today(now, office.timezone)
    days = days_between(date_from or today - timedelta(days=6), date_to or today)
    bookings = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Slot.date,
                func.count(),
                func.count().filter(Booking.status == "cancelled"),
                func.count().filter(Booking.status == "no_show"),
            )
            .select_from(Booking)
            .join(Slot, Slot.id == Booking.slot_id)
            .where(Slot.office_code == office.code, Slot.date.in_(days))
            .group_by(Slot.date)
        ).all()
    }
    wait = func.extract("epoch", Ticket.called_at - Ticket.issued_at) / 60
    service = func.extract("epoch", Ticket.finished_at - Ticket.started_at) / 60
    tickets = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                Ticket.day,
                func.count().filter(Ticket.kind == "walk_in"),
                func.count().filter(Ticket.status == "completed"),
                func.avg(wait),
                func.percentile_cont(0.9).within_group(wait),
                func.avg(case((Ticket.status == "completed", service))),
            )
            .where(Ticket.office_code == office.code, Ticket.day.in_(days))
            .group_by(Ticket.day)
        ).all()
    }
    out = []
    for day in days:
        b = bookings.get(day, (0, 0, 0))
        t = tickets.get(day, (0, 0, None, None, None))
        out.append(
            {
                "date": day.isoformat(),
                "bookings": b[0],
                "cancellations": b[1],
                "no_shows": b[2],
                "walk_ins": t[0],
                "served": t[1],
                "mean_wait_minutes": _round(t[2]),
                "p90_wait_minutes": _round(t[3]),
                "mean_service_minutes": _round(t[4]),
            }
        )
    return out


def _round(value):
    return None if value is None else round(float(value), 1)
