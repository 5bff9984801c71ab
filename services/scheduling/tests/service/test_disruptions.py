"""Disruptions: a supervisor declares an outage; bookings in it are told and may move without it counting,
even inside the usual notice; its slots take no new bookings; past or overlapping periods are refused."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from .conftest import bookable_slot, citizen, error_code, outbox, slot_row
from .test_bookings import book, past_slot


def iso(moment):
    return moment.isoformat()


def test_a_disruption_tells_the_bookings_in_it_and_frees_their_reschedule(rpc, engine):
    slot = bookable_slot(rpc, "SBY")
    start = datetime.fromisoformat(slot["start"])
    person, other = citizen(), citizen()
    hit = book(rpc, person, slot)
    spared = book(rpc, other, bookable_slot(rpc, "SBY", min_hours=80))
    soon = book(rpc, citizen(), {"slot_id": past_slot(engine, "SBY", hours_from_now=2)})  # inside the 24 h notice
    now = datetime.now(UTC)
    period = {"from": iso(now + timedelta(hours=1)), "to": iso(start + timedelta(minutes=30)),
              "reason": "Listrik padam di gedung kantor"}  # fmt: skip

    ended = {**period, "from": iso(now - timedelta(hours=3)), "to": iso(now - timedelta(hours=1))}
    assert error_code(rpc.declare_disruption, "SBY", ended) == "DISRUPTION_IN_PAST"
    assert error_code(rpc.declare_disruption, "SBY", {**period, "to": period["from"]}) == "VALIDATION_ERROR"
    assert error_code(rpc.declare_disruption, "SBY", {**period, "reason": ""}) == "VALIDATION_ERROR"
    assert error_code(rpc.declare_disruption, "XYZ", period) == "OFFICE_NOT_FOUND"
    assert outbox(engine, "disruption_declared") == []

    declared = rpc.declare_disruption("SBY", period)
    assert declared["affected_bookings"] == 2 and declared["reason"] == period["reason"]
    told = {e["data"]["reservation_code"]: e["data"] for e in outbox(engine, "booking_disrupted")}
    assert set(told) == {hit["reservation_code"], soon["reservation_code"]}
    assert told[hit["reservation_code"]]["user_id"] == person["user_id"]
    assert told[hit["reservation_code"]]["reason"] == period["reason"]
    [status] = outbox(engine, "disruption_declared")
    assert status["data"]["office_code"] == "SBY" and status["data"]["affected_bookings"] == 2
    assert slot_row(engine, slot["slot_id"])["closed"]  # no new bookings in it
    assert error_code(book, rpc, citizen(), slot) == "SLOT_UNAVAILABLE"
    assert [d["disruption_id"] for d in rpc.list_disruptions("SBY")] == [declared["disruption_id"]]
    assert rpc.list_disruptions("JKS") == [] and len(rpc.list_disruptions()) == 1

    overlap = {**period, "from": iso(start), "to": iso(start + timedelta(hours=5))}
    assert error_code(rpc.declare_disruption, "SBY", overlap) == "DISRUPTION_OVERLAPS"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM disruption")).scalar() == 1

    # The disrupted booking moves free (and then still has its own one move); the spared one has one only.
    owner = {"reservation_code": hit["reservation_code"], "user_id": person["user_id"]}
    free = rpc.reschedule_booking({**owner, "slot_id": bookable_slot(rpc, "SBY", min_hours=100)["slot_id"]})
    assert free["disruption_id"] is None
    rpc.reschedule_booking({**owner, "slot_id": bookable_slot(rpc, "SBY", min_hours=100, skip=1)["slot_id"]})
    third = {**owner, "slot_id": bookable_slot(rpc, "SBY", min_hours=100, skip=2)["slot_id"]}
    assert error_code(rpc.reschedule_booking, third) == "RESCHEDULE_LIMIT_REACHED"
    mine = {"reservation_code": spared["reservation_code"], "user_id": other["user_id"]}
    rpc.reschedule_booking({**mine, "slot_id": bookable_slot(rpc, "SBY", min_hours=100, skip=3)["slot_id"]})
    again = {**mine, "slot_id": bookable_slot(rpc, "SBY", min_hours=100, skip=4)["slot_id"]}
    assert error_code(rpc.reschedule_booking, again) == "RESCHEDULE_LIMIT_REACHED"
    # Two hours ahead is inside the 24 h notice, but a disrupted booking may still move.
    owner_soon = {"reservation_code": soon["reservation_code"], "user_id": soon["user_id"]}
    moved = rpc.reschedule_booking(
        {**owner_soon, "slot_id": bookable_slot(rpc, "SBY", min_hours=100, skip=5)["slot_id"]}
    )
    assert moved["reschedule_count"] == 1
