"""Availability under a crowd: an in-process cache of each office-day's slots, kept correct by invalidation.

A read for a cached day touches no database. Every change of seats (booking, cancel, reschedule, release,
capacity) writes an ``availability_changed`` event in its own transaction; the process that made the
change drops its entry right after the commit, and every replica drops its entry when the event reaches
its broadcast queue (milliseconds later, via the outbox relay). A TTL bounds staleness if a broadcast is
ever lost. A stale read can only show a seat that has just gone (the booking then answers SLOT_FULL) or
hide one for a moment: the booking itself is always checked against the database.
"""

import time
from datetime import date, timedelta

from nameko.extensions import DependencyProvider
from sqlalchemy import select

from scheduling import capacity
from scheduling.exceptions import DateOutOfWindow, ValidationError
from scheduling.models import Slot

MAX_RANGE_DAYS = 31


class DayCache:
    def __init__(self, ttl):
        self.ttl = ttl
        self.entries = {}  # (office_code, date) -> (expires_at, rows)
        self.generations = {}  # office_code -> count of invalidations: rows loaded across one are not kept
        self.hits = 0
        self.misses = 0

    def get_days(self, office_code, days, load):
        """``{date: rows}``; the missing days are loaded together with ``load(office_code, dates)``."""
        now = time.monotonic()
        found, missing = {}, []
        for day in days:
            entry = self.entries.get((office_code, day))
            if entry is not None and entry[0] > now:
                found[day] = entry[1]
            else:
                missing.append(day)
        self.hits += len(found)
        if missing:
            self.misses += len(missing)
            generation = self.generations.get(office_code, 0)
            loaded = load(office_code, missing)
            keep = self.generations.get(office_code, 0) == generation  # else the rows may predate a change
            expires = time.monotonic() + self.ttl
            for day in missing:
                rows = loaded.get(day, ())
                if keep:
                    self.entries[(office_code, day)] = (expires, rows)
                found[day] = rows
        return found

    def lookup(self, kind, key, fetch):
        """A catalogue object (office, service, lists) cached like the days; errors are not cached."""
        now = time.monotonic()
        entry = self.entries.get((kind, key))
        if entry is not None and entry[0] > now:
            return entry[1]
        value = fetch()
        self.entries[(kind, key)] = (now + self.ttl, value)
        return value

    def invalidate(self, office_code, days=None):
        self.generations[office_code] = self.generations.get(office_code, 0) + 1
        if days is None:
            self.entries.pop(("office", office_code), None)
            self.entries.pop(("offices", "*"), None)
            for key in [k for k in self.entries if k[0] == office_code]:
                self.entries.pop(key, None)
        else:
            for day in days:
                self.entries.pop((office_code, day if isinstance(day, date) else date.fromisoformat(day)), None)


class AvailabilityCache(DependencyProvider):
    """One cache per process, shared by its workers. Config ``AVAILABILITY_CACHE_SECONDS``."""

    def setup(self):
        self.cache = DayCache(float(self.container.config.get("AVAILABILITY_CACHE_SECONDS") or 10))

    def get_dependency(self, worker_ctx):
        return self.cache


def load_days(session, office_code, days, tz):
    """Slots of these days, rendered once for the cache (office local times as ISO strings)."""
    rows = session.execute(
        select(Slot.id, Slot.date, Slot.start_at, Slot.end_at, Slot.capacity_minutes, Slot.booked_minutes)
        .where(Slot.office_code == office_code, Slot.date.in_(days), Slot.closed.is_(False))
        .order_by(Slot.start_at)
    ).all()
    out = {}
    for row in rows:
        out.setdefault(row.date, []).append(
            (
                row.id,
                row.start_at,
                row.date.isoformat(),
                row.start_at.astimezone(tz).isoformat(),
                row.end_at.astimezone(tz).isoformat(),
                row.capacity_minutes,
                row.booked_minutes,
            )
        )
    return out


def date_range(timezone, settings, now, date_from, date_to):
    """The dates asked for, checked against the public window (today .. last released day, office time)."""
    today = capacity.local_today(now, timezone)
    until = capacity.open_until(now, timezone, settings.window_days, settings.release_time)
    date_from = date_from or today
    date_to = date_to or until
    if date_to < date_from:
        raise ValidationError("invalid range", errors={"to": ["must not be before from"]})
    if date_from < today or date_to > until:
        raise DateOutOfWindow("dates outside the booking window", first=today.isoformat(), last=until.isoformat())
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise ValidationError("range too long", errors={"to": [f"at most {MAX_RANGE_DAYS} days"]})
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def view(days_rows, duration_minutes, now):
    """The API's slot list in office local time with the seats left for this service's duration."""
    return [
        {
            "slot_id": slot_id,
            "date": day,
            "start": start,
            "end": end,
            "remaining": max(0, (cap - booked) // duration_minutes),
        }
        for key in sorted(days_rows)
        for slot_id, start_at, day, start, end, cap, booked in days_rows[key]
        if start_at > now
    ]
