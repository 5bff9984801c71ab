"""Opening days, slots and the rolling release window: pure functions of an office's layout and a date.

Capacity is counted in counter-minutes: a slot of ``slot_minutes`` at an office with ``counters`` counters
offers ``counters * slot_minutes * online_share`` minutes online (the rest stays for walk-ins and priority
visitors); a booking takes its service's duration, so a 15-minute renewal takes half the room of a
30-minute lost-passport interview.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Layout:
    timezone: str
    counters: int
    slot_minutes: int
    online_share: float
    opening_hours: dict  # {"mon": [["08:00", "12:00"], ...]}
    closures: frozenset = field(default_factory=frozenset)

    @property
    def tz(self):
        return ZoneInfo(self.timezone)

    @property
    def capacity_minutes(self):
        return math.floor(self.counters * self.slot_minutes * self.online_share)


@dataclass(frozen=True)
class SlotSpec:
    date: date
    start_at: datetime  # aware, UTC
    end_at: datetime
    capacity_minutes: int


@lru_cache(maxsize=32)
def national_holidays(year):
    """Indonesian national holidays of ``year`` (the ``holidays`` library, kept up to date upstream)."""
    return holidays.country_holidays("ID", years=year)


def holiday_name(day):
    return national_holidays(day.year).get(day)


def closed_reason(layout, day):
    """Why the office is closed on ``day`` (``"holiday"``, ``"closure"``, ``"weekly"``), or None when open."""
    if holiday_name(day):
        return "holiday"
    if day in layout.closures:
        return "closure"
    if not layout.opening_hours.get(WEEKDAYS[day.weekday()]):
        return "weekly"
    return None


def parse_hhmm(value):
    hh, mm = value.split(":")
    return time(int(hh), int(mm))


def day_slots(layout, day):
    """The slots of one local day: consecutive windows of ``slot_minutes`` inside each opening interval."""
    if closed_reason(layout, day):
        return []
    tz, step = layout.tz, timedelta(minutes=layout.slot_minutes)
    out = []
    for opens, closes in layout.opening_hours[WEEKDAYS[day.weekday()]]:
        start = datetime.combine(day, parse_hhmm(opens), tz)
        end = datetime.combine(day, parse_hhmm(closes), tz)
        while start + step <= end:
            out.append(SlotSpec(day, _utc(start), _utc(start + step), layout.capacity_minutes))
            start += step
    return out


def _utc(moment):
    return moment.astimezone(ZoneInfo("UTC"))


def open_until(now, timezone, window_days, release_time):
    """The last local date already released at ``now``: a new day opens each day at ``release_time``."""
    local = now.astimezone(ZoneInfo(timezone))
    ahead = window_days if local.time() >= release_time else window_days - 1
    return local.date() + timedelta(days=ahead)


def next_release(now, timezone, release_time):
    """When the next day opens, as an aware local datetime (shown to citizens so nobody has to guess)."""
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    moment = datetime.combine(local.date(), release_time, tz)
    return moment if moment > local else datetime.combine(local.date() + timedelta(days=1), release_time, tz)


def local_today(now, timezone):
    return now.astimezone(ZoneInfo(timezone)).date()


def seats(capacity_minutes, booked_minutes, duration_minutes):
    """Bookings of ``duration_minutes`` that still fit."""
    return max(0, (capacity_minutes - booked_minutes) // duration_minutes)


def validate_opening_hours(hours):
    """Error messages for an opening-hours map, empty when it is valid."""
    errors = []
    for day, intervals in hours.items():
        if day not in WEEKDAYS:
            errors.append(f"unknown weekday {day!r}")
            continue
        previous = None
        for pair in intervals or []:
            try:
                opens, closes = (parse_hhmm(v) for v in pair)
            except (ValueError, TypeError):
                errors.append(f"{day}: times must be HH:MM")
                continue
            if opens >= closes:
                errors.append(f"{day}: {pair[0]} is not before {pair[1]}")
            if previous and opens < previous:
                errors.append(f"{day}: intervals overlap or are out of order")
            previous = closes
    return errors
