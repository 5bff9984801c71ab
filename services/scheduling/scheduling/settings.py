"""Scheduling's settings, read once per process: the only place a default lives (config.yaml leaves them empty)."""

from dataclasses import dataclass
from datetime import time

from antre_common.settings import read_settings

KEYS = {
    "window_days": "BOOKING_WINDOW_DAYS",
    "release_time": "RELEASE_LOCAL_TIME",
    "cancel_cutoff_minutes": "CANCEL_CUTOFF_MINUTES",
    "reschedule_min_hours": "RESCHEDULE_MIN_HOURS",
    "reschedule_max": "RESCHEDULE_MAX",
    "reminder_hours": "REMINDER_HOURS_BEFORE",
    "no_show_grace_minutes": "NO_SHOW_GRACE_MINUTES",
    "availability_cache_seconds": "AVAILABILITY_CACHE_SECONDS",
    "release_sweep_seconds": "RELEASE_SWEEP_SECONDS",
    "reminder_sweep_seconds": "REMINDER_SWEEP_SECONDS",
    "no_show_sweep_seconds": "NO_SHOW_SWEEP_SECONDS",
    "priority_every_k": "PRIORITY_EVERY_K",
    "priority_share": "PRIORITY_SHARE",
    "elderly_age": "ELDERLY_AGE",
    "service_level_target": "SERVICE_LEVEL_TARGET",
    "service_level_minutes": "SERVICE_LEVEL_MINUTES",
    "backtest_days": "FORECAST_BACKTEST_DAYS",
    "waiting_room_minutes": "WAITING_ROOM_MINUTES",
    "admission_rate": "RELEASE_ADMISSION_RATE",
    "admission_seconds": "ADMISSION_SECONDS",
    "waitlist_offer_seconds": "WAITLIST_OFFER_SECONDS",
    "waitlist_sweep_seconds": "WAITLIST_SWEEP_SECONDS",
    "cooldown_cancels": "COOLDOWN_CANCELS",
    "cooldown_window_days": "COOLDOWN_WINDOW_DAYS",
    "cooldown_days": "COOLDOWN_DAYS",
}


def parse_hhmm(value):
    hh, mm = str(value).split(":")
    return time(int(hh), int(mm))


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
    release_sweep_seconds: float = 30.0  # how often the timers look for work
    reminder_sweep_seconds: float = 60.0
    no_show_sweep_seconds: float = 60.0
    # Priority visitors go first, but at most one call in every k is a priority one while others wait.
    priority_every_k: int = 2
    priority_share: float = 0.1  # of the day's counter-minutes for priority tickets (walk-in quota: 1 - online)
    elderly_age: int = 60  # lansia from this age (UU 13/1998), derived from the holder's birth date
    service_level_target: float = 0.8  # the forecast staffs for this share of visitors called ...
    service_level_minutes: float = 15.0  # ... within this many minutes (Erlang C)
    backtest_days: int = 28  # past days the forecast is replayed against
    # Releases (README "Quota release"): the waiting room opens this long before a release ...
    waiting_room_minutes: int = 15
    # ... and admits this many places per second once it opens: the measured flash crowd served ~140
    # booking attempts/s with p99 3.5 s on 2 cores; an admitted person makes ~2 booking attempts (one may
    # find its slot full), so 40/s keeps the booking path near half its capacity, well inside the 5 s deadline.
    admission_rate: float = 40.0
    admission_seconds: int = 600  # an admission is good for one seat for this long (10 minutes)
    waitlist_offer_seconds: int = 1800  # a seat held for the first person waiting: 30 minutes to accept
    waitlist_sweep_seconds: float = 15.0  # how often expired offers pass to the next person
    # Cooldown after churn: more than 2 cancellations in 30 days stops new bookings for 7 days (README).
    cooldown_cancels: int = 2
    cooldown_window_days: int = 30
    cooldown_days: int = 7

    @classmethod
    def from_config(cls, config):
        return read_settings(cls, config, KEYS, {"release_time": parse_hhmm})
