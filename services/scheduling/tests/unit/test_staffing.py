"""Erlang C against published values, and the staffing forecast's learning and back-test."""

from datetime import date, timedelta

import pytest

from scheduling import erlang, staffing
from scheduling.staffing import Day


@pytest.mark.parametrize(
    ("traffic", "agents", "published"),
    [
        (2, 3, 4 / 9),  # Wolfram Language ErlangC[3, 2] == 4/9
        (1, 2, 1 / 3),  # M/M/2 at utilisation 0.5: 1/3
        (10, 11, 0.6821),  # Erlang C tables, 10 Erlangs
        (10, 12, 0.4494),
        (10, 13, 0.2853),
    ],
)
def test_erlang_c_matches_published_tables(traffic, agents, published):
    assert erlang.erlang_c(traffic, agents) == pytest.approx(published, abs=5e-5)


def test_erlang_c_limits():
    assert erlang.erlang_c(0, 3) == 0.0
    assert erlang.erlang_c(5, 5) == 1.0 and erlang.erlang_c(6, 5) == 1.0  # the queue grows without end
    assert 0 < erlang.erlang_c(400, 420) < 1  # no factorial overflow at large offices


def test_the_published_staffing_example():
    # Wolfram's ErlangC documentation: 30 calls an hour, 5 minutes each, at least 90 % not delayed → 6.
    assert min(c for c in range(3, 20) if erlang.erlang_c(30 / 60 * 5, c) <= 0.1) == 6
    assert erlang.counters_needed(30 / 60, 5, 0, 0.9) == 6  # the same through the service level at t = 0


def test_service_level_and_counters_needed():
    # 48 Erlangs (360 calls in 30 minutes at 240 s): the level rises with agents, 80 % within 20 s needs 54.
    traffic = 360 / 1800 * 240
    levels = [erlang.service_level(traffic, n, 240, 20) for n in range(49, 60)]
    assert levels == sorted(levels)
    assert erlang.counters_needed(360 / 1800, 240, 20, 0.8) == 54
    assert erlang.service_level(traffic, 54, 240, 20) >= 0.8 > erlang.service_level(traffic, 53, 240, 20)
    assert erlang.counters_needed(0, 20, 15, 0.8) == 0
    assert erlang.mean_wait(2, 3, 10) == pytest.approx(4 / 9 * 10 / 1)


TODAY = date(2026, 12, 2)


def regular_history(days=60, booked=40, no_show_rate=0.1, walk_ins=lambda d: 5 + d.isoweekday()):
    """Days that follow the model exactly: the forecast of each is right."""
    out = {}
    for n in range(1, days + 1):
        d = TODAY - timedelta(days=n)
        no_shows = round(booked * no_show_rate)
        out[d] = Day(booked=booked, no_shows=no_shows, walk_ins=walk_ins(d),
                     visitors=booked - no_shows + walk_ins(d))  # fmt: skip
    return out


def test_learnt_rates_come_only_from_days_before():
    history = regular_history()
    rate, walk = staffing.learnt(history, TODAY)
    assert rate == pytest.approx(0.1) and walk[TODAY.isoweekday()] == 5 + TODAY.isoweekday()
    assert staffing.learnt({}, TODAY)[0] == staffing.DEFAULT_NO_SHOW_RATE
    future = {TODAY: Day(booked=100, no_shows=100, walk_ins=100, visitors=100)}
    assert staffing.learnt(future, TODAY)[0] == staffing.DEFAULT_NO_SHOW_RATE  # the day itself is unknown


def test_backtest_of_a_regular_history_has_no_error():
    assert staffing.backtest(regular_history(), TODAY, 28) == {"days": 28, "mean_absolute_percentage_error": 0.0}
    assert staffing.backtest({}, TODAY, 28) == {"days": 0, "mean_absolute_percentage_error": None}


def test_backtest_measures_the_error_of_each_replayed_day():
    history = regular_history()
    day = TODAY - timedelta(days=1)
    expected = history[day].visitors
    history[day] = Day(booked=40, no_shows=4, walk_ins=5 + day.isoweekday(), visitors=expected * 2)
    # One day of 28 is off by half its actual visitors (the forecast said half of what came): MAPE 50/28 %.
    assert staffing.backtest(history, TODAY, 28) == {"days": 28, "mean_absolute_percentage_error": round(50 / 28, 1)}


def test_hourly_counters_follow_the_bookings_of_each_hour():
    hours = staffing.hourly({8: 60, 9: 60, 10: 30}, {8: 10, 9: 2}, 0.1, 6, 20, 0.8, 15)
    assert [h["hour"] for h in hours] == ["08:00", "09:00", "10:00"]
    assert [h["expected_arrivals"] for h in hours] == [11.4, 4.2, 1.2]
    assert hours[0]["recommended_counters"] == erlang.counters_needed(11.4 / 60, 20, 15, 0.8)
    assert staffing.recommended(hours) == hours[0]["recommended_counters"] > hours[1]["recommended_counters"]
    assert staffing.recommended([]) == 0
