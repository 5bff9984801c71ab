"""The office's queue: check-in, walk-ins, priority first, counters, ticket steps, board."""

import uuid

from sqlalchemy import text

from .conftest import bookable_slot, citizen, error_code, outbox
from .test_bookings import book, past_slot


def test_check_in_walk_ins_call_next_and_complete(rpc, engine):
    person = citizen()
    booking = book(rpc, person, {"slot_id": past_slot(engine, "JKS", hours_from_now=0.5)})
    code = booking["reservation_code"]
    ticket = rpc.check_in("JKS", code)
    assert (ticket["ticket_number"], ticket["kind"], ticket["status"]) == ("B001", "booked", "waiting")
    assert rpc.check_in("JKS", code.lower())["ticket_id"] == ticket["ticket_id"]  # idempotent
    assert rpc.get_booking(code)["status"] == "checked_in"
    elder = rpc.walk_in("JKS", {"service_code": "paspor_penggantian", "priority": "lansia"})
    walker = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    assert (elder["ticket_number"], walker["ticket_number"]) == ("P002", "W003")
    assert [t["ticket_number"] for t in rpc.office_queue("JKS")] == ["P002", "B001", "W003"]

    first = rpc.call_next("JKS", "1")
    second = rpc.call_next("JKS", "2")
    assert (first["ticket_number"], first["counter"]) == ("P002", "1")
    assert (second["ticket_number"], second["counter"]) == ("B001", "2")
    assert rpc.get_booking(code)["status"] == "called"
    called = outbox(engine, "ticket_called")[-1]["data"]
    assert called["user_id"] == person["user_id"] and called["counter"] == "2"
    board = rpc.office_board("JKS")
    assert sorted(board["now_serving"], key=lambda x: x["counter"]) == [
        {"ticket_number": "P002", "counter": "1"},
        {"ticket_number": "B001", "counter": "2"},
    ]
    assert board["waiting"] == 1 and board["estimated_wait_minutes"] >= 1

    step = {"ticket_id": ticket["ticket_id"], "office_code": "JKS"}
    assert rpc.ticket_step({**step, "action": "start"})["status"] == "serving"
    assert rpc.ticket_step({**step, "action": "complete"})["status"] == "completed"
    assert rpc.get_booking(code)["status"] == "completed"
    done = outbox(engine, "ticket_completed")[-1]["data"]
    assert done["ticket_id"] == ticket["ticket_id"] and done["wait_seconds"] >= 0
    integration = outbox(engine, "id.go.imigrasi.antre.ticket.completed.v1")[-1]
    assert integration["data"]["ticket_id"] == ticket["ticket_id"] and "user_id" not in integration["data"]

    assert error_code(rpc.ticket_step, {**step, "action": "start"}) == "TICKET_INVALID_TRANSITION"
    elsewhere = {"ticket_id": walker["ticket_id"], "office_code": "MKS", "action": "start"}
    assert error_code(rpc.ticket_step, elsewhere) == "TICKET_NOT_FOUND"
    assert rpc.call_next("JKS", "1")["ticket_number"] == "W003"
    assert rpc.call_next("JKS", "1") is None
    noshow = rpc.ticket_step({"ticket_id": walker["ticket_id"], "office_code": "JKS", "action": "no_show"})
    assert noshow["status"] == "no_show"


def test_check_in_rules(rpc, engine):
    later = book(rpc, citizen(), bookable_slot(rpc))
    assert error_code(rpc.check_in, "JKS", later["reservation_code"]) == "CHECK_IN_WRONG_DAY"
    assert error_code(rpc.check_in, "MKS", later["reservation_code"]) == "BOOKING_NOT_FOUND"
    assert error_code(rpc.check_in, "JKS", "ZZZZZZZZ") == "BOOKING_NOT_FOUND"
    assert error_code(rpc.walk_in, "JKS", {"service_code": "visa"}) == "SERVICE_NOT_FOUND"
    assert error_code(rpc.walk_in, "JKS", {"service_code": "paspor_baru", "priority": "vip"}) == "VALIDATION_ERROR"
    assert error_code(rpc.ticket_step, {"ticket_id": str(uuid.uuid4()), "action": "start"}) == "TICKET_NOT_FOUND"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 0
