"""Forecast and statistics from real bookings and tickets."""

from datetime import date, timedelta

from scheduling import erlang

from .conftest import bookable_slot, citizen, confirm, error_code
from .test_bookings import book, past_slot


def test_stats_count_bookings_cancellations_walk_ins_and_service(rpc, engine):
    person, other = citizen(), citizen()
    today_slot = past_slot(engine, "SBY", hours_from_now=0.5)
    served = book(rpc, person, {"slot_id": today_slot})
    dropped = book(rpc, other, {"slot_id": today_slot})
    rpc.cancel_booking({"reservation_code": dropped["reservation_code"], "user_id": other["user_id"]})
    ticket = rpc.check_in("SBY", confirm(served["reservation_code"]))
    rpc.walk_in("SBY", {"service_code": "paspor_baru"})
    assert rpc.call_next("SBY", "1")["ticket_id"] == ticket["ticket_id"]
    for action in ("start", "complete"):
        rpc.ticket_step({"ticket_id": ticket["ticket_id"], "action": action, "office_code": "SBY"})
    day = served["date"]
    [row] = rpc.office_stats("SBY", day, day)
    assert row["date"] == day
    assert (row["bookings"], row["cancellations"], row["no_shows"]) == (2, 1, 0)
    assert (row["walk_ins"], row["served"]) == (1, 1)
    assert row["mean_wait_minutes"] is not None and row["mean_wait_minutes"] >= 0
    assert row["mean_service_minutes"] is not None


def test_forecast_counts_bookings_and_recommends_counters(rpc):
    slot = bookable_slot(rpc, "SBY")
    for _ in range(3):
        book(rpc, citizen(), slot)
    [row] = rpc.office_forecast("SBY", slot["date"], slot["date"])
    assert row["booked"] == 3
    assert row["expected_no_show"] == 0.3  # 10 % before the office has history
    assert row["expected_visitors"] == 2.7
    # Erlang C for the slot's hour: 2.7 arrivals in its open minutes at the mean service time, 80 % in 15 min.
    [busy] = [h for h in row["hours"] if h["expected_arrivals"]]
    assert busy["hour"] == slot["start"][11:13] + ":00" and busy["expected_arrivals"] == 2.7
    need = erlang.counters_needed(2.7 / busy["open_minutes"], row["service_minutes"], 15, 0.8)
    assert busy["recommended_counters"] == need >= 2 and row["recommended_counters"] == need
    assert row["service_level"] == {"target": 0.8, "within_minutes": 15}
    assert row["backtest"] == {"days": 0, "mean_absolute_percentage_error": None}  # no history yet
    start = date.fromisoformat(slot["date"])
    saturday = start + timedelta(days=(5 - start.weekday()) % 7)
    [closed] = rpc.office_forecast("SBY", saturday.isoformat(), saturday.isoformat())
    assert (closed["closed"], closed["recommended_counters"]) == ("weekly", 0)
    assert error_code(rpc.office_forecast, "SBY", "2026-12-10", "2026-12-01") == "VALIDATION_ERROR"
    assert error_code(rpc.office_stats, "SBY", "not-a-date") == "VALIDATION_ERROR"
