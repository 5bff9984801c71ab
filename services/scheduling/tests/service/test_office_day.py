"""A whole simulated office day through the real entrypoints: bookings (one declared elderly, one cancelled),
walk-ins with priority, a no-show, a late arrival who rejoins, a transfer to another service; the day's
statistics and their CSV match what happened, and each step left its event."""

import csv
import io

from sqlalchemy import text

from .conftest import citizen, confirm, outbox
from .test_bookings import book, past_slot


def percentile_cont(values, fraction):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def test_a_simulated_office_day_and_its_statistics(rpc, engine):
    slot = {"slot_id": past_slot(engine, "JKS", hours_from_now=0.5)}
    people = {name: citizen() for name in "ABCDEF"}
    booked = {name: book(rpc, person, slot, priority="lansia" if name == "A" else None)
              for name, person in people.items()}  # fmt: skip
    rpc.cancel_booking({"reservation_code": booked["F"]["reservation_code"], "user_id": people["F"]["user_id"]})
    tickets = {name: rpc.check_in("JKS", confirm(booked[name]["reservation_code"])) for name in "ABCDE"}
    tickets["W1"] = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    tickets["W2"] = rpc.walk_in("JKS", {"service_code": "paspor_baru", "priority": "ibu_hamil"})
    tickets["W3"] = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    number = {name: t["ticket_number"] for name, t in tickets.items()}
    assert number == {"A": "P001", "B": "B002", "C": "B003", "D": "B004", "E": "B005", "W1": "W006",
                      "W2": "P007", "W3": "W008"}  # fmt: skip
    name_of = {t["ticket_id"]: name for name, t in tickets.items()}

    def step(name, action):
        return rpc.ticket_step({"ticket_id": tickets[name]["ticket_id"], "office_code": "JKS", "action": action})

    def move(name, action, **target):
        request = {"ticket_id": tickets[name]["ticket_id"], "office_code": "JKS", "action": action, **target}
        return rpc.ticket_move(request)

    calls = []

    def call(counter):
        ticket = rpc.call_next("JKS", counter)
        calls.append(name_of[ticket["ticket_id"]])
        return calls[-1]

    for _ in range(4):  # served one after another at counter 1
        name = call("1")
        step(name, "start")
        step(name, "complete")
    assert calls == ["A", "B", "W2", "C"]  # priority first, but never two priority calls in a row
    assert call("1") == "D"
    step("D", "no_show")
    assert call("1") == "E"
    step("E", "no_show")
    assert move("E", "requeue")["status"] == "waiting"  # E arrives late, the same day
    assert call("1") == "W1"
    step("W1", "start")
    step("W1", "complete")
    assert call("1") == "W3"
    step("W3", "start")
    moved = move("W3", "transfer", service_code="paspor_penggantian")  # needs another service after all
    assert (moved["status"], moved["service_code"]) == ("waiting", "paspor_penggantian")
    assert call("2") == "W3"  # keeps its place: before E, who rejoined at the end
    step("W3", "start")
    step("W3", "complete")
    assert call("2") == "E"
    step("E", "start")
    step("E", "complete")
    assert rpc.call_next("JKS", "2") is None

    status = {name: rpc.get_booking(b["reservation_code"])["status"] for name, b in booked.items()}
    assert status == {"A": "completed", "B": "completed", "C": "completed", "D": "no_show", "E": "completed",
                      "F": "cancelled"}  # fmt: skip
    assert len(outbox(engine, "ticket_completed")) == 7
    assert len(outbox(engine, "ticket_no_show")) == 2 and len(outbox(engine, "booking_no_show")) == 2
    assert len(outbox(engine, "ticket_requeued")) == 1 and len(outbox(engine, "ticket_transferred")) == 1
    assert len(outbox(engine, "ticket_called")) == 10

    day = booked["A"]["date"]
    [row] = rpc.office_stats("JKS", day, day)
    assert (row["date"], row["bookings"], row["cancellations"], row["no_shows"]) == (day, 6, 1, 1)
    assert (row["walk_ins"], row["served"]) == (3, 7)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, issued_at, called_at, started_at, finished_at FROM ticket")).all()
    waits = [(r.called_at - r.issued_at).total_seconds() / 60 for r in rows if r.called_at is not None]
    served = [(r.finished_at - r.started_at).total_seconds() / 60 for r in rows if r.status == "completed"]
    assert len(waits) == 8 and len(served) == 7  # D's wait counts; E's restarted when E rejoined
    assert row["mean_wait_minutes"] == round(sum(waits) / len(waits), 1)
    assert row["p90_wait_minutes"] == round(percentile_cont(waits, 0.9), 1)
    assert row["mean_service_minutes"] == round(sum(served) / len(served), 1)

    exported = rpc.office_stats("JKS", day, day, "csv")
    [line] = list(csv.DictReader(io.StringIO(exported)))
    assert line["timezone"] == "Asia/Jakarta"
    assert {k: v for k, v in line.items() if k != "timezone"} == {k: str(v) for k, v in row.items()}
    for person in people.values():  # aggregates only: no personal data
        assert person["user_id"] not in exported and person["person_ref"] not in exported
    assert not any(b["reservation_code"] in exported for b in booked.values())
