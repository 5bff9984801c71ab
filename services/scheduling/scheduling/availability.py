"""Availability: the days a query may ask for, their slots as the cache keeps them, and the API's view.

The cache itself (and why it stays correct) is ``read_cache``.
"""

from datetime import timedelta

from sqlalchemy import select

from scheduling import capacity
from scheduling.exceptions import DateOutOfWindow, ValidationError
from scheduling.models import Slot

MAX_RANGE_DAYS = 31


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


def date_range(timezone, settings, now, date_from, date_to, extra_until=None):
    """The dates asked for, checked against the public window (today .. last released day, office time, or
    the day of an opened extra release beyond it)."""
    today = capacity.local_today(now, timezone)
    until = capacity.open_until(now, timezone, settings.window_days, settings.release_time)
    if extra_until is not None and extra_until > until and date_to is not None:
        until = extra_until
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
