"""Forecast and statistics from real bookings and tickets."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from scheduling import erlang, staffing

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


def seed_history(engine, office, days):
    """Past days written straight into the database as they would have happened: ``{days ago: (booked,
    no_shows, walk_ins)}``; returns them as ``staffing.Day`` by office-local date."""
    rows = {"slot": [], "booking": [], "ticket": []}
    history = {}
    now = datetime.now(UTC)
    with engine.connect() as conn:
        tz = ZoneInfo(conn.execute(text("SELECT timezone FROM office WHERE code = :o"), {"o": office}).scalar())
    for ago, (booked, no_shows, walk_ins) in days.items():
        start = now - timedelta(days=ago)
        day = start.astimezone(tz).date()
        slot_id = str(uuid.uuid4())
        rows["slot"].append({"id": slot_id, "o": office, "d": day, "s": start, "e": start + timedelta(hours=1)})
        number = 0
        for n in range(booked):
            booking_id, came = str(uuid.uuid4()), n >= no_shows
            rows["booking"].append({"id": booking_id, "code": uuid.uuid4().hex[:12], "u": str(uuid.uuid4()),
                                    "p": uuid.uuid4().hex, "o": office, "slot": slot_id, "s": start,
                                    "st": "completed" if came else "no_show"})  # fmt: skip
            if came:
                number += 1
                rows["ticket"].append({"id": str(uuid.uuid4()), "o": office, "d": day, "n": f"B{number:03d}",
                                       "k": "booked", "b": booking_id, "s": start})  # fmt: skip
        for _ in range(walk_ins):
            number += 1
            rows["ticket"].append({"id": str(uuid.uuid4()), "o": office, "d": day, "n": f"W{number:03d}",
                                   "k": "walk_in", "b": None, "s": start})  # fmt: skip
        history[day] = staffing.Day(booked=booked, no_shows=no_shows, walk_ins=walk_ins,
                                    visitors=booked - no_shows + walk_ins)  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO slot (id, office_code, date, start_at, end_at, capacity_minutes) "
                          "VALUES (:id, :o, :d, :s, :e, 100000)"), rows["slot"])  # fmt: skip
        conn.execute(text("INSERT INTO booking (id, reservation_code, user_id, person_ref, office_code, service_code,"
                          " slot_id, start_at, end_at, minutes, status, created_at, updated_at) VALUES (:id, :code,"
                          " :u, :p, :o, 'paspor_baru', :slot, :s, :s, 20, :st, :s, :s)"), rows["booking"])  # fmt: skip
        conn.execute(text("INSERT INTO ticket (id, office_code, day, ticket_number, kind, status, service_code,"
                          " booking_id, issued_at) VALUES (:id, :o, :d, :n, :k, 'completed', 'paspor_baru', :b,"
                          " :s)"), rows["ticket"])  # fmt: skip
    return history


def test_the_forecast_back_tests_itself_on_the_offices_history(rpc, engine):
    # Five weeks of weekdays: 30-50 booked, some no-shows, walk-ins that differ by weekday and week.
    days = {ago: (30 + ago % 5 * 5, ago % 4, 5 + ago % 7 + ago % 3) for ago in range(1, 36)}
    history = seed_history(engine, "MKS", days)
    [row] = rpc.office_forecast("MKS")[:1]
    today = date.fromisoformat(row["date"])
    expected = staffing.backtest(history, today, 28)
    assert row["backtest"] == expected
    assert expected["days"] == 28 and expected["mean_absolute_percentage_error"] > 0
    rate, walk = staffing.learnt(history, today)
    assert row["expected_walk_in"] == (round(walk[today.isoweekday()], 1) if row["closed"] is None else 0)
