"""The office's queue: check-in, walk-ins, priority first, counters, ticket steps, board."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from antre_common.errors import parse_remote

from .conftest import bookable_slot, citizen, confirm, error_code, outbox
from .test_bookings import book, past_slot


def test_check_in_walk_ins_call_next_and_complete(rpc, engine):
    person = citizen()
    booking = book(rpc, person, {"slot_id": past_slot(engine, "JKS", hours_from_now=0.5)})
    code = booking["reservation_code"]
    ticket = rpc.check_in("JKS", confirm(code))
    assert (ticket["ticket_number"], ticket["kind"], ticket["status"]) == ("B001", "booked", "waiting")
    assert rpc.check_in("JKS", confirm(code.lower()))["ticket_id"] == ticket["ticket_id"]  # idempotent
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
    # Counter 1 still has P002 called: call-next there gives P002 again until it is moved on.
    assert rpc.call_next("JKS", "1")["ticket_id"] == first["ticket_id"]
    assert rpc.ticket_step({"ticket_id": first["ticket_id"], "office_code": "JKS", "action": "no_show"})
    assert rpc.call_next("JKS", "1")["ticket_number"] == "W003"
    assert rpc.call_next("JKS", "3") is None
    noshow = rpc.ticket_step({"ticket_id": walker["ticket_id"], "office_code": "JKS", "action": "no_show"})
    assert noshow["status"] == "no_show"


def test_check_in_rules(rpc, engine):
    later = book(rpc, citizen(), bookable_slot(rpc))
    assert error_code(rpc.check_in, "JKS", confirm(later["reservation_code"])) == "CHECK_IN_WRONG_DAY"
    assert error_code(rpc.check_in, "MKS", confirm(later["reservation_code"])) == "BOOKING_NOT_FOUND"
    assert error_code(rpc.check_in, "JKS", confirm("ZZZZZZZZ")) == "BOOKING_NOT_FOUND"
    assert error_code(rpc.walk_in, "JKS", {"service_code": "visa"}) == "SERVICE_NOT_FOUND"
    assert error_code(rpc.walk_in, "JKS", {"service_code": "paspor_baru", "priority": "vip"}) == "VALIDATION_ERROR"
    assert error_code(rpc.ticket_step, {"ticket_id": str(uuid.uuid4()), "action": "start"}) == "TICKET_NOT_FOUND"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket")).scalar() == 0


def error_doc(call, *args):
    with pytest.raises(RemoteError) as info:
        call(*args)
    return parse_remote(info.value.value)


def tickets(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM ticket")).scalar()


def test_retried_office_operations_do_not_repeat(rpc, engine):
    staff = str(uuid.uuid4())
    visitor = {"service_code": "paspor_baru", "user_id": staff, "idempotency_key": "walk-1"}
    first = rpc.walk_in("JKS", visitor)
    assert rpc.walk_in("JKS", visitor) == first and tickets(engine) == 1
    assert error_code(rpc.walk_in, "JKS", {**visitor, "priority": "lansia"}) == "IDEMPOTENCY_KEY_REUSED"
    other = rpc.walk_in("JKS", {**visitor, "user_id": str(uuid.uuid4())})  # keys are per staff user
    assert other["ticket_id"] != first["ticket_id"]
    assert rpc.walk_in("JKS", {"service_code": "paspor_baru"})["ticket_number"] == "W003"  # no key: new ticket

    called = rpc.call_next("JKS", "1")
    assert rpc.call_next("JKS", "1") == called  # a retry calls nobody else
    assert len(outbox(engine, "ticket_called")) == 1
    step = {"ticket_id": called["ticket_id"], "office_code": "JKS"}
    started = rpc.ticket_step({**step, "action": "start"})
    assert rpc.ticket_step({**step, "action": "start"}) == started
    done = rpc.ticket_step({**step, "action": "complete"})
    assert rpc.ticket_step({**step, "action": "complete"}) == done and done["status"] == "completed"
    assert len(outbox(engine, "ticket_completed")) == 1
    nobody = rpc.call_next("JKS", "2")
    assert rpc.ticket_step({"ticket_id": nobody["ticket_id"], "office_code": "JKS", "action": "no_show"})
    again = rpc.ticket_step({"ticket_id": nobody["ticket_id"], "office_code": "JKS", "action": "no_show"})
    assert again["status"] == "no_show"
    assert error_code(rpc.ticket_step, {**step, "action": "no_show"}) == "TICKET_INVALID_TRANSITION"


@pytest.mark.parametrize(
    "counter, code",
    [("0", "COUNTER_CLOSED"), ("11", "COUNTER_CLOSED")]  # an integer, but not one of JKS's 10 counters
    + [(c, "VALIDATION_ERROR") for c in ("-1", "abc", "1.5", "12345678901", "", "\u0661")],
)
def test_the_counter_is_one_of_the_offices_counters(rpc, engine, counter, code):
    rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    assert error_code(rpc.call_next, "JKS", counter) == code
    assert rpc.call_next("JKS", "10")["counter"] == "10"


def test_wrong_day_names_the_bookings_office_local_date(rpc):
    # Jayapura is UTC+9: a morning slot there starts on the previous day in UTC.
    limit = datetime.now(UTC) + timedelta(hours=30)
    slot = next(
        s
        for s in rpc.get_availability({"office_code": "DJJ", "service_code": "paspor_hilang"})
        if datetime.fromisoformat(s["start"]).hour < 9 and datetime.fromisoformat(s["start"]) > limit
    )
    booking = book(rpc, citizen(), slot)
    doc = error_doc(rpc.check_in, "DJJ", confirm(booking["reservation_code"]))
    assert doc["code"] == "CHECK_IN_WRONG_DAY" and doc["params"]["date"] == slot["date"]


def test_ticket_completed_names_the_booking_inside_the_suite_only(rpc, engine):
    booking = book(rpc, citizen(), {"slot_id": past_slot(engine, "JKS", hours_from_now=0.5)})
    ticket = rpc.check_in("JKS", confirm(booking["reservation_code"]))
    rpc.call_next("JKS", "1")
    for action in ("start", "complete"):
        rpc.ticket_step({"ticket_id": ticket["ticket_id"], "office_code": "JKS", "action": action})
    done = outbox(engine, "ticket_completed")[-1]["data"]
    assert done["booking_id"] == booking["booking_id"]
    assert done["reservation_code"] == booking["reservation_code"]
    integration = outbox(engine, "id.go.imigrasi.antre.ticket.completed.v1")[-1]["data"]
    assert integration["ticket_id"] == ticket["ticket_id"]
    assert not {"booking_id", "reservation_code", "user_id"} & set(integration)


def test_end_of_day_closes_open_tickets_and_frees_the_person(container, rpc, engine):
    people = [citizen() for _ in range(3)]
    serving, called, waiting = (book(rpc, p, {"slot_id": past_slot(engine, "JKS", hours_from_now=0.5)}) for p in people)
    tickets_ = [rpc.check_in("JKS", confirm(b["reservation_code"])) for b in (serving, called, waiting)]
    walker = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    rpc.call_next("JKS", "1")
    rpc.ticket_step({"ticket_id": tickets_[0]["ticket_id"], "office_code": "JKS", "action": "start"})
    rpc.call_next("JKS", "2")
    assert error_code(book, rpc, people[0], bookable_slot(rpc)) == "ALREADY_BOOKED"
    with entrypoint_hook(container, "mark_no_shows") as sweep:
        assert sweep() == 0  # today's tickets are left alone
        with engine.begin() as conn:  # the day ends with all four still open
            conn.execute(text("UPDATE ticket SET day = day - 1"))
        assert sweep() == 4
        assert sweep() == 0
    status = {
        b["reservation_code"]: rpc.get_booking(b["reservation_code"])["status"] for b in (serving, called, waiting)
    }
    assert status == {serving["reservation_code"]: "completed", called["reservation_code"]: "no_show",
                      waiting["reservation_code"]: "no_show"}  # fmt: skip
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id::text, status FROM ticket")).all())
    assert rows == {tickets_[0]["ticket_id"]: "completed", tickets_[1]["ticket_id"]: "no_show",
                    tickets_[2]["ticket_id"]: "no_show", walker["ticket_id"]: "no_show"}  # fmt: skip
    completed = outbox(engine, "ticket_completed")
    assert [e["data"]["booking_id"] for e in completed] == [serving["booking_id"]]
    no_shows = {e["data"]["booking_id"] for e in outbox(engine, "booking_no_show")}
    assert no_shows == {called["booking_id"], waiting["booking_id"]}
    assert book(rpc, people[0], bookable_slot(rpc))["status"] == "confirmed"  # free to book again
