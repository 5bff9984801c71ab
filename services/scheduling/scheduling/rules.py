"""Scheduling's tunables, read once from the nameko config (each has an environment override)."""

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class Settings:
    window_days: int = 14  # slots open this many days ahead ...
    release_time: time = time(7, 0)  # ... each day at this office-local time (public, see GET /offices/{code})
    cancel_cutoff_minutes: int = 0  # cancel until the slot starts
    reschedule_min_hours: int = 24  # reschedule at least this long before the slot
    reschedule_max: int = 1  # how often one booking may be moved
    reminder_hours: int = 24  # reminder_due this long before the slot
    no_show_grace_minutes: int = 30  # booking_no_show this long after the slot's end without check-in
    availability_cache_seconds: float = 10.0  # safety net; changes invalidate the cache at once

    @classmethod
    def from_config(cls, config):
        def get(key, default, cast):
            value = config.get(key)
            return default if value in (None, "") else cast(value)

        hh, mm = str(config.get("RELEASE_LOCAL_TIME") or "07:00").split(":")
        return cls(
            window_days=get("BOOKING_WINDOW_DAYS", cls.window_days, int),
            release_time=time(int(hh), int(mm)),
            cancel_cutoff_minutes=get("CANCEL_CUTOFF_MINUTES", cls.cancel_cutoff_minutes, int),
            reschedule_min_hours=get("RESCHEDULE_MIN_HOURS", cls.reschedule_min_hours, int),
            reschedule_max=get("RESCHEDULE_MAX", cls.reschedule_max, int),
            reminder_hours=get("REMINDER_HOURS_BEFORE", cls.reminder_hours, int),
            no_show_grace_minutes=get("NO_SHOW_GRACE_MINUTES", cls.no_show_grace_minutes, int),
            availability_cache_seconds=get("AVAILABILITY_CACHE_SECONDS", cls.availability_cache_seconds, float),
        )
