"""Staffing forecast: the visitors a day will bring (bookings less the office's no-show rate, plus the
walk-ins its recent same weekdays brought), spread over the day's hours, and the counters Erlang C needs
for the service level; and a back-test that replays past days with only what was known before each.

Pure functions over ``history``: ``{date: Day}`` of the office's past days (no database here), so the
bench replays a generated history through exactly the code the API runs.
"""

from dataclasses import dataclass
from datetime import timedelta

from scheduling import erlang

HISTORY_DAYS = 28  # the no-show rate is learnt over this many days before the forecast is made
WEEKS = 4  # walk-ins: the mean of this many same weekdays before it
DEFAULT_NO_SHOW_RATE = 0.1  # before the office has history


@dataclass(frozen=True)
class Day:
    booked: int = 0  # bookings of the day not cancelled
    no_shows: int = 0  # of those, who never came
    walk_ins: int = 0  # walk-in tickets issued
    visitors: int = 0  # tickets issued (booked check-ins and walk-ins): who actually came


def learnt(history, as_of):
    """``(no_show_rate, walk_ins_by_isoweekday)`` from the days before ``as_of`` only."""
    window = [history[d] for d in _dates_before(as_of, HISTORY_DAYS) if d in history]
    booked = sum(d.booked for d in window)
    rate = sum(d.no_shows for d in window) / booked if booked else DEFAULT_NO_SHOW_RATE
    walk = {}
    for n in range(1, 8):
        day = as_of - timedelta(days=n)
        same = [day - timedelta(weeks=w) for w in range(WEEKS)]
        walk[day.isoweekday()] = sum(history[d].walk_ins for d in same if d in history) / WEEKS
    return rate, walk


def expected(booked, rate, walk_ins):
    return booked * (1 - rate) + walk_ins


def predict(history, day, booked, as_of):
    """``(no_show_rate, expected_walk_ins, expected_visitors)`` for ``day`` as known on ``as_of``."""
    rate, walk = learnt(history, min(day, as_of))
    walk_ins = walk[day.isoweekday()]
    return rate, walk_ins, expected(booked, rate, walk_ins)


def backtest(history, today, days):
    """Replays each of the ``days`` before ``today`` that had visitors: the forecast made that morning
    (its bookings, and only the history before it) against who came. MAPE in percent (None: no such day)."""
    errors = []
    for day in _dates_before(today, days):
        actual = history.get(day)
        if actual is None or actual.visitors == 0:
            continue
        _, _, forecast = predict(history, day, actual.booked, day)
        errors.append(abs(forecast - actual.visitors) / actual.visitors)
    mape = round(100 * sum(errors) / len(errors), 1) if errors else None
    return {"days": len(errors), "mean_absolute_percentage_error": mape}


def hourly(open_minutes_by_hour, booked_by_hour, rate, walk_ins, service_minutes, level, target_minutes):
    """Per opening hour: expected arrivals (bookings of that hour that come, and walk-ins spread over the
    open minutes) and the counters Erlang C needs for ``level`` within ``target_minutes``."""
    total_open = sum(open_minutes_by_hour.values())
    out = []
    for hour, minutes in sorted(open_minutes_by_hour.items()):
        arrivals = booked_by_hour.get(hour, 0) * (1 - rate) + walk_ins * minutes / total_open
        counters = erlang.counters_needed(arrivals / minutes, service_minutes, target_minutes, level)
        out.append(
            {
                "hour": f"{hour:02d}:00",
                "open_minutes": round(minutes),
                "expected_arrivals": round(arrivals, 1),
                "recommended_counters": counters,
            }
        )
    return out


def recommended(hours):
    """The day needs the counters of its busiest hour."""
    return max((h["recommended_counters"] for h in hours), default=0)


def _dates_before(day, n):
    return [day - timedelta(days=k) for k in range(1, n + 1)]
