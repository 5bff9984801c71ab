"""Bookings through the real service: no overbooking, one per person and service, idempotency, cancel,
reschedule, events through the outbox, and the timers."""

import uuid
from datetime import UTC, datetime, timedelta

from nameko.exceptions import RemoteError
from sqlalchemy import text

from antre_common.errors import parse_remote

from .conftest import bookable_slot, citizen, error_code, outbox, set_seats, slot_row


def book(rpc, person, slot, service="paspor_hilang", **extra):
    return rpc.create_booking({**person, "slot_id": slot["slot_id"], "service_code": service, **extra})


def remaining(rpc, slot, service="paspor_hilang"):
    day = slot["date"]
    q = {"office_code": slot.get("office_code", "JKS"), "service_code": service, "date_from": day, "date_to": day}
    return next(s["remaining"] for s in rpc.get_availability(q) if s["slot_id"] == slot["slot_id"])


def test_200_parallel_bookings_for_10_seats_confirm_exactly_10(rpc, engine):
    set_seats(rpc, "JKS", 10)
    slot = bookable_slot(rpc)
    assert slot["remaining"] == 10
    replies = [
        rpc.create_booking.call_async({**citizen(), "slot_id": slot["slot_id"], "service_code": "paspor_hilang"})
        for _ in range(200)
    ]
    confirmed, codes = [], []
    for reply in replies:
        try:
            confirmed.append(reply.result())
        except RemoteError as exc:
            codes.append(parse_remote(exc.value)["code"])
    assert len(confirmed) == 10
    assert codes == ["SLOT_FULL"] * 190
    assert len({b["reservation_code"] for b in confirmed}) == 10
    row = slot_row(engine, slot["slot_id"])
    with engine.connect() as conn:
        in_db = conn.execute(
            text("SELECT count(*) FROM booking WHERE slot_id = :s AND status = 'confirmed'"), {"s": slot["slot_id"]}
        ).scalar()
    assert row["booked_count"] == in_db == 10
    assert row["booked_minutes"] == row["capacity_minutes"] == 300
    assert remaining(rpc, slot) == 0


def test_booking_is_confirmed_with_a_short_code_and_events(rpc, engine):
    set_seats(rpc, "JKS", 10)
    slot = bookable_slot(rpc)
    person = citizen()
    booking = book(rpc, person, slot)
    assert booking["status"] == "confirmed"
    assert len(booking["reservation_code"]) == 8 and booking["reservation_code"].isalnum()
    assert booking["start"] == slot["start"] and booking["date"] == slot["date"]
    assert remaining(rpc, slot) == 9  # the cache was invalidated by the booking
    assert rpc.get_booking(booking["reservation_code"].lower())["booking_id"] == booking["booking_id"]
    assert [b["booking_id"] for b in rpc.list_bookings(person["user_id"])] == [booking["booking_id"]]
    created = outbox(engine, "booking_created")
    assert created[-1]["data"]["reservation_code"] == booking["reservation_code"]
    assert created[-1]["data"]["user_id"] == person["user_id"]
    integration = outbox(engine, "id.go.imigrasi.antre.booking.created.v1")[-1]
    assert integration["specversion"] == "1.0" and integration["data"]["booking_id"] == booking["booking_id"]
    assert "user_id" not in integration["data"] and person["person_ref"] not in str(integration)


def test_one_active_booking_per_person_whatever_the_service(rpc, engine):
    slot, other_slot = bookable_slot(rpc), bookable_slot(rpc, skip=1)
    person = citizen()
    first = book(rpc, person, slot)
    again = dict(person, user_id=str(uuid.uuid4()))  # same NIK (person_ref), even from another account
    assert error_code(book, rpc, again, other_slot) == "ALREADY_BOOKED"
    assert error_code(book, rpc, person, other_slot, service="paspor_baru") == "ALREADY_BOOKED"  # another service
    assert remaining(rpc, other_slot) == other_slot["remaining"]  # nothing changed
    rpc.cancel_booking({"reservation_code": first["reservation_code"], "user_id": person["user_id"]})
    assert book(rpc, person, other_slot, service="paspor_baru")["status"] == "confirmed"  # after cancelling


def test_parallel_bookings_by_one_person_confirm_one(rpc):
    slots = [bookable_slot(rpc, skip=i) for i in range(5)]
    person = citizen()
    replies = [
        rpc.create_booking.call_async({**person, "slot_id": s["slot_id"], "service_code": "paspor_rusak"})
        for s in slots
    ]
    outcomes = []
    for reply in replies:
        try:
            outcomes.append(reply.result()["status"])
        except RemoteError as exc:
            outcomes.append(parse_remote(exc.value)["code"])
    assert sorted(outcomes) == ["ALREADY_BOOKED"] * 4 + ["confirmed"]


def test_idempotency_key_returns_the_first_result(rpc, engine):
    slot = bookable_slot(rpc)
    person = citizen()
    key = uuid.uuid4().hex
    first = book(rpc, person, slot, idempotency_key=key)
    replies = [
        rpc.create_booking.call_async(
            {**person, "slot_id": slot["slot_id"], "service_code": "paspor_hilang", "idempotency_key": key}
        )
        for _ in range(5)
    ]
    assert {r.result()["booking_id"] for r in replies} == {first["booking_id"]}
    assert slot_row(engine, slot["slot_id"])["booked_count"] == 1
    other = bookable_slot(rpc, skip=1)
    assert error_code(book, rpc, person, other, idempotency_key=key) == "IDEMPOTENCY_KEY_REUSED"


def test_bad_booking_requests_change_nothing(rpc, engine):
    slot = bookable_slot(rpc)
    person = citizen()
    assert error_code(book, rpc, person, {"slot_id": str(uuid.uuid4())}) == "SLOT_NOT_FOUND"
    assert error_code(book, rpc, person, slot, service="visa") == "SERVICE_NOT_FOUND"
    assert error_code(rpc.create_booking, {**person, "slot_id": "x", "service_code": "a"}) == "VALIDATION_ERROR"
    assert error_code(rpc.create_booking, {**person, "slot_id": slot["slot_id"]}) == "VALIDATION_ERROR"
    past = past_slot(engine, "JKS", hours_from_now=-2)
    assert error_code(book, rpc, person, {"slot_id": past}) == "SLOT_UNAVAILABLE"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM booking")).scalar() == 0
    assert slot_row(engine, slot["slot_id"])["booked_count"] == 0


def past_slot(engine, office, hours_from_now, minutes=60, capacity=600):
    """A slot at an arbitrary time (tests of time rules), written straight into the database; its date is
    the office's local date, as the release makes it."""
    start = datetime.now(UTC) + timedelta(hours=hours_from_now)
    slot_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO slot (id, office_code, date, start_at, end_at, capacity_minutes) "
                "SELECT :id, code, (CAST(:s AS timestamptz) AT TIME ZONE timezone)::date, :s, :e, :c "
                "FROM office WHERE code = :o"
            ),
            {"id": slot_id, "o": office, "s": start, "e": start + timedelta(minutes=minutes), "c": capacity},
        )
    return slot_id


def test_cancel_returns_the_seat_once_and_a_retry_gets_the_cancelled_booking(rpc, engine):
    slot = bookable_slot(rpc)
    person = citizen()
    booking = book(rpc, person, slot)
    before = remaining(rpc, slot)
    stranger = {"reservation_code": booking["reservation_code"], "user_id": str(uuid.uuid4())}
    assert error_code(rpc.cancel_booking, stranger) == "BOOKING_NOT_FOUND"
    cancelled = rpc.cancel_booking({"reservation_code": booking["reservation_code"], "user_id": person["user_id"]})
    assert cancelled["status"] == "cancelled"
    assert remaining(rpc, slot) == before + 1
    again = {"reservation_code": booking["reservation_code"], "user_id": person["user_id"]}
    # A retry (the first answer was lost): API.md's answer to a cancel, the booking with status cancelled.
    assert rpc.cancel_booking(again) == cancelled
    assert slot_row(engine, slot["slot_id"])["booked_count"] == 0
    assert remaining(rpc, slot) == before + 1  # the seat came back once
    events = [e["data"] for e in outbox(engine, "booking_cancelled")]
    assert len(events) == 1  # and was reported once
    event = events[-1]
    assert event["booking_id"] == booking["booking_id"] and event["reason"] == "citizen"
    assert error_code(rpc.cancel_booking, stranger) == "BOOKING_NOT_FOUND"  # still nobody else's


def test_cancel_after_the_slot_started_is_refused(rpc, engine):
    person = citizen()
    soon = past_slot(engine, "JKS", hours_from_now=1)
    booking = book(rpc, person, {"slot_id": soon})
    with engine.begin() as conn:  # time passes: the slot has started
        conn.execute(text("UPDATE booking SET start_at = now() - interval '1 minute' WHERE id = :id"),
                     {"id": booking["booking_id"]})  # fmt: skip
    action = {"reservation_code": booking["reservation_code"], "user_id": person["user_id"]}
    assert error_code(rpc.cancel_booking, action) == "CANCEL_TOO_LATE"


def test_reschedule_moves_the_seat_once(rpc, engine):
    set_seats(rpc, "JKS", 10)
    old, new, third = (bookable_slot(rpc, skip=i) for i in range(3))
    person = citizen()
    booking = book(rpc, person, old)
    action = {"reservation_code": booking["reservation_code"], "user_id": person["user_id"]}
    moved = rpc.reschedule_booking({**action, "slot_id": new["slot_id"]})
    assert moved["start"] == new["start"] and moved["booking_id"] == booking["booking_id"]
    assert slot_row(engine, old["slot_id"])["booked_count"] == 0
    assert slot_row(engine, new["slot_id"])["booked_count"] == 1
    assert remaining(rpc, old) == 10 and remaining(rpc, new) == 9
    assert error_code(rpc.reschedule_booking, {**action, "slot_id": third["slot_id"]}) == "RESCHEDULE_LIMIT_REACHED"
    event = outbox(engine, "booking_rescheduled")[-1]["data"]
    assert event["old_slot"]["slot_id"] == old["slot_id"] and event["new_slot"]["slot_id"] == new["slot_id"]


def test_a_retried_reschedule_returns_the_booking_on_its_new_slot(rpc, engine):
    set_seats(rpc, "JKS", 10)
    old, new = (bookable_slot(rpc, skip=i) for i in range(2))
    person = citizen()
    booking = book(rpc, person, old)
    action = {"reservation_code": booking["reservation_code"], "user_id": person["user_id"], "slot_id": new["slot_id"]}
    moved = rpc.reschedule_booking(action)
    assert rpc.reschedule_booking(action) == moved  # the retry: same answer, nothing moves again
    assert slot_row(engine, new["slot_id"])["booked_count"] == 1
    assert slot_row(engine, old["slot_id"])["booked_count"] == 0
    assert len(outbox(engine, "booking_rescheduled")) == 1
    back = {**action, "slot_id": old["slot_id"]}
    assert error_code(rpc.reschedule_booking, back) == "RESCHEDULE_LIMIT_REACHED"  # a real second move
    fresh = book(rpc, citizen(), old)
    same = {"reservation_code": fresh["reservation_code"], "user_id": fresh["user_id"], "slot_id": old["slot_id"]}
    assert error_code(rpc.reschedule_booking, same) == "SLOT_MISMATCH"  # never moved: not a retry


def test_reschedules_in_opposite_directions_do_not_deadlock(rpc, engine):
    one = past_slot(engine, "JKS", hours_from_now=72, capacity=6000)
    two = past_slot(engine, "JKS", hours_from_now=74, capacity=6000)
    moves = []
    for here, there in ((one, two), (two, one)) * 15:
        person = citizen()
        b = book(rpc, person, {"slot_id": here})
        moves.append({"reservation_code": b["reservation_code"], "user_id": person["user_id"], "slot_id": there})
    replies = [rpc.reschedule_booking.call_async(m) for m in moves]
    failures = []
    for reply in replies:
        try:
            reply.result()
        except RemoteError as exc:
            failures.append(exc)
    assert failures == []
    assert slot_row(engine, one)["booked_count"] == slot_row(engine, two)["booked_count"] == 15


def test_old_idempotency_records_are_purged_by_the_reminder_timer(container, engine):
    from nameko.testing.services import entrypoint_hook

    with engine.begin() as conn:
        for key, age in (("old", "25 hours"), ("recent", "1 hour")):
            conn.execute(
                text("INSERT INTO idempotency_record (user_id, key, request_hash, response, created_at) "
                     "VALUES (:u, :k, 'h', '{}', now() - CAST(:age AS interval))"),
                {"u": str(uuid.uuid4()), "k": key, "age": age},
            )  # fmt: skip
    with entrypoint_hook(container, "send_reminders") as send_reminders:
        send_reminders()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT key FROM idempotency_record")).scalars().all() == ["recent"]


def test_reschedule_rules(rpc, engine):
    person = citizen()
    soon = past_slot(engine, "JKS", hours_from_now=5)
    booking = book(rpc, person, {"slot_id": soon})
    action = {"reservation_code": booking["reservation_code"], "user_id": person["user_id"]}
    later = bookable_slot(rpc)
    assert error_code(rpc.reschedule_booking, {**action, "slot_id": later["slot_id"]}) == "RESCHEDULE_TOO_LATE"
    other = citizen()
    ok = book(rpc, other, bookable_slot(rpc))
    other_action = {"reservation_code": ok["reservation_code"], "user_id": other["user_id"]}
    elsewhere = bookable_slot(rpc, "MKS")
    assert error_code(rpc.reschedule_booking, {**other_action, "slot_id": elsewhere["slot_id"]}) == "SLOT_MISMATCH"
    full = past_slot(engine, "JKS", hours_from_now=72, capacity=0)
    assert error_code(rpc.reschedule_booking, {**other_action, "slot_id": full}) == "SLOT_FULL"
    assert rpc.get_booking(ok["reservation_code"])["slot_id"] == ok["slot_id"]  # nothing moved


def test_reminder_and_no_show_timers(container, rpc, engine):
    from nameko.testing.services import entrypoint_hook

    person, late_person = citizen(), citizen()
    tomorrow = book(rpc, person, {"slot_id": past_slot(engine, "JKS", hours_from_now=20)})
    missed_slot = past_slot(engine, "JKS", hours_from_now=0.01, minutes=1)
    missed = book(rpc, late_person, {"slot_id": missed_slot}, service="paspor_baru")
    with engine.begin() as conn:  # the slot ended long ago
        conn.execute(
            text("UPDATE booking SET start_at = now() - interval '3 hours', end_at = now() - interval '2 hours' "
                 "WHERE id = :id"), {"id": missed["booking_id"]})  # fmt: skip
    with entrypoint_hook(container, "send_reminders") as send_reminders:
        assert send_reminders() == 1
        assert send_reminders() == 0  # once per booking
    reminder = outbox(engine, "reminder_due")[-1]["data"]
    assert reminder["booking_id"] == tomorrow["booking_id"] and reminder["hours_before"] == 20
    with entrypoint_hook(container, "mark_no_shows") as mark_no_shows:
        assert mark_no_shows() == 1
        assert mark_no_shows() == 0
    assert rpc.get_booking(missed["reservation_code"])["status"] == "no_show"
    no_show = outbox(engine, "booking_no_show")[-1]["data"]
    assert no_show == {
        "booking_id": missed["booking_id"],
        "user_id": late_person["user_id"],
        "reservation_code": missed["reservation_code"],
        "office_code": "JKS",
    }


def test_release_is_idempotent(container, engine):
    from nameko.testing.services import entrypoint_hook

    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM slot")).scalar()
    with entrypoint_hook(container, "release_slots") as release:
        assert release() == {}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM slot")).scalar() == before > 0


def test_a_service_error_is_an_answer_not_an_error_log(rpc, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="nameko.containers"):
        assert error_code(rpc.get_booking, "ZZZZZZZZ") == "BOOKING_NOT_FOUND"
        assert error_code(rpc.cancel_booking, {"reservation_code": "ZZZZZZZZ"}) == "BOOKING_NOT_FOUND"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_reservation_code_collision_retries_with_a_new_code(rpc, engine, monkeypatch):
    from antre_common import reservation_code as codes

    slot = bookable_slot(rpc)
    first = book(rpc, citizen(), slot)
    real, issued = codes.new_code, []

    def colliding_once():
        issued.append(first["reservation_code"] if not issued else real())
        return issued[-1]

    monkeypatch.setattr(codes, "new_code", colliding_once)
    second = book(rpc, citizen(), slot)
    assert issued[0] == first["reservation_code"] and second["reservation_code"] == issued[1]
    assert second["reservation_code"] != first["reservation_code"]
    assert slot_row(engine, slot["slot_id"])["booked_count"] == 2  # the failed attempt took no seat


def test_a_holder_books_for_a_dependent_one_active_booking_per_person_and_the_dependent_takes_over(
    rpc, container, engine
):
    from nameko.standalone.events import event_dispatcher
    from nameko.testing.services import entrypoint_waiter

    from antre_common.envelope import make_envelope

    slot, other_slot = bookable_slot(rpc), bookable_slot(rpc, skip=1)
    holder, child_id, child_ref = citizen(), str(uuid.uuid4()), uuid.uuid4().hex
    for_child = book(rpc, holder, slot, person_id=child_id, person_ref=child_ref)
    assert (for_child["user_id"], for_child["person_id"]) == (holder["user_id"], child_id)
    assert book(rpc, holder, slot)["person_id"] == holder["user_id"]  # the holder's own: another person
    # The child cannot hold a second one, whoever books it (here: the other parent's account).
    other_parent = {"user_id": str(uuid.uuid4()), "person_ref": child_ref, "person_id": child_id}
    assert error_code(book, rpc, other_parent, other_slot) == "ALREADY_BOOKED"
    assert {b["person_id"] for b in rpc.list_bookings(holder["user_id"])} == {holder["user_id"], child_id}

    # The child registers an account of her own (its id is her person_id): her future booking becomes hers.
    event = make_envelope("dependent_registered", {"person_id": child_id, "holder_id": holder["user_id"]})
    with entrypoint_waiter(container, "on_dependent_registered"):
        event_dispatcher(container.config)("identity", "dependent_registered", event)
    assert [b["reservation_code"] for b in rpc.list_bookings(child_id)] == [for_child["reservation_code"]]
    [moved] = [e["data"] for e in outbox(engine, "booking_transferred")]
    assert moved == {"booking_id": for_child["booking_id"], "reservation_code": for_child["reservation_code"],
                     "user_id": child_id, "previous_user_id": holder["user_id"]}  # fmt: skip
    assert {b["person_id"] for b in rpc.list_bookings(holder["user_id"])} == {holder["user_id"]}
    with entrypoint_waiter(container, "on_dependent_registered"):  # delivered twice: nothing more happens
        event_dispatcher(container.config)("identity", "dependent_registered", event)
    assert len(rpc.list_bookings(child_id)) == 1
