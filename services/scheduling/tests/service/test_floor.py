"""The office floor on real RabbitMQ and PostgreSQL: holders at check-in, priority and its bound, quotas,
recall / transfer / requeue with their events and audit rows, a citizen's place in the queue."""

import uuid

import pytest
from nameko.rpc import rpc as nameko_rpc
from sqlalchemy import text

from .conftest import citizen, confirm, error_code, outbox
from .test_bookings import book, past_slot


class IdentityDouble:
    """Stands in for identity's ``people`` (same contract: unknown ids are left out)."""

    name = "identity"
    known = {}

    @nameko_rpc
    def people(self, person_ids):
        return {p: IdentityDouble.known[p] for p in person_ids if p in IdentityDouble.known}


@pytest.fixture
def identity(container_factory, config):
    IdentityDouble.known = {}
    double = container_factory(IdentityDouble, config)
    double.start()
    return IdentityDouble.known


def today_booking(rpc, engine, office="JKS", person=None, **extra):
    return book(rpc, person or citizen(), {"slot_id": past_slot(engine, office, hours_from_now=0.5)}, **extra)


def audit_rows(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM floor_audit ORDER BY occurred_at")).mappings().all()


def all_hours(office_rpc, office):
    """Opening hours on every weekday, so the day's quotas exist whatever day the tests run."""
    hours = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    office_rpc.update_capacity(office, {"opening_hours": hours, "slot_minutes": 60})


def test_the_days_bookings_show_the_holder_and_check_in_needs_the_ktp_confirmed(rpc, engine, identity):
    elder, young, stranger = citizen(), citizen(), citizen()
    identity[elder["user_id"]] = {"full_name": "Budi Santoso", "nik_masked": "3171**05****0001",
                                  "birth_date": "1950-05-05"}  # fmt: skip
    identity[young["user_id"]] = {"full_name": "Ani", "nik_masked": "3171**14****0002", "birth_date": "2000-03-14"}
    first = today_booking(rpc, engine, person=elder)
    second = today_booking(rpc, engine, person=young, priority="ibu_hamil")
    today_booking(rpc, engine, person=stranger)  # identity does not know this one: holder None
    day = first["date"]
    rows = {b["reservation_code"]: b for b in rpc.office_bookings({"office_code": "JKS", "date": day})}
    assert len(rows) == 3
    assert rows[first["reservation_code"]]["holder"] == identity[elder["user_id"]]
    assert rows[first["reservation_code"]]["priority"] == "lansia"  # derived from the birth date
    assert rows[first["reservation_code"]]["declared_priority"] is None
    assert rows[second["reservation_code"]]["priority"] == "ibu_hamil"  # declared at booking
    assert [b["holder"] for b in rows.values()].count(None) == 1
    assert rpc.office_bookings({"office_code": "MKS", "date": day}) == []

    code = first["reservation_code"]
    assert error_code(rpc.check_in, "JKS", {"reservation_code": code, "identity_confirmed": False}) == (
        "IDENTITY_NOT_CONFIRMED"
    )
    assert error_code(rpc.check_in, "JKS", {"reservation_code": code}) == "VALIDATION_ERROR"
    assert error_code(rpc.check_in, "JKS", confirm(code, priority="vip")) == "VALIDATION_ERROR"
    assert rpc.get_booking(code)["status"] == "confirmed" and audit_rows(engine) == []
    officer = str(uuid.uuid4())
    ticket = rpc.check_in("JKS", confirm(code, priority="lansia", user_id=officer))
    assert (ticket["ticket_number"], ticket["priority"]) == ("P001", "lansia")
    declared = rpc.check_in("JKS", confirm(second["reservation_code"]))  # the declared priority holds
    assert declared["priority"] == "ibu_hamil"
    [entry, _] = audit_rows(engine)
    assert (entry["action"], str(entry["actor_id"]), str(entry["subject_id"])) == (
        "check_in",
        officer,
        elder["user_id"],
    )
    assert str(entry["ticket_id"]) == ticket["ticket_id"]
    flat = str(dict(entry))
    assert "Budi" not in flat and "3171**" not in flat and "1950-05-05" not in flat  # no personal data in the trail
    listed = {b["reservation_code"]: b for b in rpc.office_bookings({"office_code": "JKS", "date": day})}
    assert listed[code]["ticket"]["ticket_number"] == "P001" and listed[code]["status"] == "checked_in"


def test_priority_goes_first_but_at_most_one_call_in_every_k(rpc, engine):
    walk = [rpc.walk_in("JKS", {"service_code": "paspor_baru"}) for _ in range(3)]
    prio = [rpc.walk_in("JKS", {"service_code": "paspor_baru", "priority": "lansia"}) for _ in range(3)]
    order = []
    for _ in range(6):
        called = rpc.call_next("JKS", "1")
        order.append(called["ticket_number"])
        rpc.ticket_step({"ticket_id": called["ticket_id"], "office_code": "JKS", "action": "no_show"})
    # k = 2 (PRIORITY_EVERY_K): priority first, then one of the others, alternating while both wait.
    p, w = [t["ticket_number"] for t in prio], [t["ticket_number"] for t in walk]
    assert order == [p[0], w[0], p[1], w[1], p[2], w[2]]


def test_only_priority_waiting_is_called_back_to_back(rpc):
    first = rpc.walk_in("JKS", {"service_code": "paspor_baru", "priority": "anak"})
    second = rpc.walk_in("JKS", {"service_code": "paspor_baru", "priority": "anak"})
    assert rpc.call_next("JKS", "1")["ticket_id"] == first["ticket_id"]
    assert rpc.call_next("JKS", "2")["ticket_id"] == second["ticket_id"]  # nobody else waits: no one starves


def test_walk_in_and_priority_quotas_are_enforced_and_visible(rpc, engine):
    all_hours(rpc, "BPN")
    # BPN: counters × 24 h minus a minute; shrink it so the shares are small: 1 counter, online 0.9.
    rpc.update_capacity("BPN", {"counters": 1, "online_share": 0.99})
    q = rpc.office_quotas({"office_code": "BPN"})
    assert q["capacity_minutes"] == 23 * 60  # slots of 60 minutes within 00:00-23:59
    assert q["walk_in"] == {"limit_minutes": 13, "used_minutes": 0}  # 1 % of 1380 minutes
    assert q["priority"] == {"limit_minutes": 138, "used_minutes": 0}  # PRIORITY_SHARE 10 %
    assert error_code(rpc.walk_in, "BPN", {"service_code": "paspor_baru"}) == "WALK_IN_QUOTA_REACHED"
    rpc.update_capacity("BPN", {"online_share": 0.9})  # walk-ins: 138 minutes
    duration = rpc.get_service("paspor_baru")["duration_minutes"]
    issued = 0
    while (issued + 1) * duration <= 138:
        rpc.walk_in("BPN", {"service_code": "paspor_baru", "priority": "lansia" if issued < 2 else None})
        issued += 1
    assert error_code(rpc.walk_in, "BPN", {"service_code": "paspor_baru"}) == "WALK_IN_QUOTA_REACHED"
    q = rpc.office_quotas({"office_code": "BPN"})
    assert q["walk_in"]["used_minutes"] == issued * duration and q["priority"]["used_minutes"] == 2 * duration
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket WHERE office_code = 'BPN'")).scalar() == issued
    # Priority share: bookings checked in with priority count against it, the check-in says so when full.
    rpc.update_capacity("BPN", {"online_share": 0.5})
    booked_minutes = rpc.get_service("paspor_hilang")["duration_minutes"]  # what today_booking books
    for _ in range((138 - 2 * duration) // booked_minutes):
        rpc.check_in("BPN", confirm(today_booking(rpc, engine, "BPN")["reservation_code"], priority="disabilitas"))
    late = today_booking(rpc, engine, "BPN")["reservation_code"]
    assert error_code(rpc.check_in, "BPN", confirm(late, priority="disabilitas")) == "PRIORITY_QUOTA_REACHED"
    assert rpc.get_booking(late)["status"] == "confirmed"  # nothing changed
    assert rpc.check_in("BPN", confirm(late))["priority"] is None  # served, without priority


def test_recall_calls_and_tells_again_idempotent_with_a_key(rpc, engine):
    booking = today_booking(rpc, engine)
    ticket = rpc.check_in("JKS", confirm(booking["reservation_code"]))
    move = {"ticket_id": ticket["ticket_id"], "office_code": "JKS", "action": "recall"}
    assert error_code(rpc.ticket_move, move) == "TICKET_INVALID_TRANSITION"  # not called yet
    rpc.call_next("JKS", "4")
    officer = str(uuid.uuid4())
    keyed = {**move, "user_id": officer, "idempotency_key": "recall-1"}
    recalled = rpc.ticket_move(keyed)
    assert (recalled["status"], recalled["counter"]) == ("called", "4")
    assert rpc.ticket_move(keyed) == recalled  # a retry: nobody is called a third time
    calls = [e["data"] for e in outbox(engine, "ticket_called")]
    assert [(c["counter"], c["recall"], c["user_id"]) for c in calls] == [
        ("4", 0, booking["user_id"]), ("4", 1, booking["user_id"])]  # fmt: skip
    rpc.ticket_move(move)  # without a key, each request is another recall
    assert [e["data"]["recall"] for e in outbox(engine, "ticket_called")][-1] == 2
    assert [r["action"] for r in audit_rows(engine)] == ["check_in", "recall", "recall"]
    other = {**move, "office_code": "MKS"}
    assert error_code(rpc.ticket_move, other) == "TICKET_NOT_FOUND"


def test_transfer_to_a_counter_or_a_service(rpc, engine):
    first = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    second = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    move = {"ticket_id": first["ticket_id"], "office_code": "JKS", "action": "transfer"}
    assert error_code(rpc.ticket_move, {**move, "counter": "2"}) == "TICKET_INVALID_TRANSITION"  # only waiting
    rpc.call_next("JKS", "1")
    rpc.ticket_step({"ticket_id": first["ticket_id"], "office_code": "JKS", "action": "start"})
    bad_moves = [
        ({"counter": "11"}, "COUNTER_CLOSED"),
        ({"counter": "0"}, "COUNTER_CLOSED"),
        ({"counter": "x"}, "VALIDATION_ERROR"),
        ({"service_code": "visa"}, "SERVICE_NOT_FOUND"),
        ({}, "VALIDATION_ERROR"),
        ({"counter": "2", "service_code": "paspor_baru"}, "VALIDATION_ERROR"),
    ]
    for bad, code in bad_moves:
        assert error_code(rpc.ticket_move, {**move, **bad}) == code
    assert outbox(engine, "ticket_transferred") == []
    moved = rpc.ticket_move({**move, "counter": "3"})
    assert (moved["status"], moved["counter"]) == ("waiting", "3")
    assert rpc.ticket_move({**move, "counter": "3"}) == moved  # a retry changes nothing
    assert len(outbox(engine, "ticket_transferred")) == 1
    # Counter 2 does not take a visitor sent to counter 3; counter 3 takes them before earlier arrivals.
    assert rpc.call_next("JKS", "2")["ticket_id"] == second["ticket_id"]
    third = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    assert rpc.call_next("JKS", "3")["ticket_id"] == first["ticket_id"]
    to_service = rpc.ticket_move({**move, "service_code": "paspor_penggantian"})
    assert (to_service["status"], to_service["service_code"], to_service["counter"]) == (
        "waiting", "paspor_penggantian", None)  # fmt: skip
    # Keeps its place of arrival: called before the later walk-in.
    assert rpc.call_next("JKS", "5")["ticket_id"] == first["ticket_id"]
    assert rpc.call_next("JKS", "6")["ticket_id"] == third["ticket_id"]
    data = outbox(engine, "ticket_transferred")[-1]["data"]
    assert data == {"ticket_id": first["ticket_id"], "ticket_number": first["ticket_number"], "office_code": "JKS",
                    "counter": None, "service_code": "paspor_penggantian"}  # fmt: skip
    assert [r["action"] for r in audit_rows(engine)] == ["transfer", "transfer"]


def test_requeue_of_a_late_arrival_the_same_day_only(rpc, engine, container):
    booking = today_booking(rpc, engine)
    ticket = rpc.check_in("JKS", confirm(booking["reservation_code"]))
    walker = rpc.walk_in("JKS", {"service_code": "paspor_baru"})
    move = {"ticket_id": ticket["ticket_id"], "office_code": "JKS", "action": "requeue"}
    assert error_code(rpc.ticket_move, move) == "TICKET_INVALID_TRANSITION"  # waiting, not a no-show
    rpc.call_next("JKS", "1")
    rpc.ticket_step({"ticket_id": ticket["ticket_id"], "office_code": "JKS", "action": "no_show"})
    assert rpc.get_booking(booking["reservation_code"])["status"] == "no_show"
    assert outbox(engine, "ticket_no_show")[-1]["data"]["ticket_id"] == ticket["ticket_id"]
    back = rpc.ticket_move(move)
    assert (back["status"], back["counter"]) == ("waiting", None)
    assert rpc.ticket_move(move) == back  # idempotent
    assert len(outbox(engine, "ticket_requeued")) == 1
    assert rpc.get_booking(booking["reservation_code"])["status"] == "checked_in"
    # Back at the end: the walk-in who waited is called first.
    assert rpc.call_next("JKS", "2")["ticket_id"] == walker["ticket_id"]
    assert rpc.call_next("JKS", "3")["ticket_id"] == ticket["ticket_id"]
    for action in ("start", "complete"):
        rpc.ticket_step({"ticket_id": ticket["ticket_id"], "office_code": "JKS", "action": action})
    assert error_code(rpc.ticket_move, move) == "TICKET_INVALID_TRANSITION"  # served: nothing to rejoin
    # A no-show of an earlier day cannot rejoin.
    rpc.ticket_step({"ticket_id": walker["ticket_id"], "office_code": "JKS", "action": "no_show"})
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET day = day - 1 WHERE id = :id"), {"id": walker["ticket_id"]})
    late = {**move, "ticket_id": walker["ticket_id"]}
    assert error_code(rpc.ticket_move, late) == "REQUEUE_DAY_OVER"
    assert len(outbox(engine, "ticket_requeued")) == 1


def test_a_checked_in_booking_shows_its_place_and_expected_wait(rpc, engine):
    duration = rpc.get_service("paspor_hilang")["duration_minutes"]
    ahead = [rpc.walk_in("JKS", {"service_code": "paspor_hilang"}) for _ in range(3)]
    booking = today_booking(rpc, engine)
    assert "ticket" not in rpc.get_booking(booking["reservation_code"])
    rpc.check_in("JKS", confirm(booking["reservation_code"]))
    ticket = rpc.get_booking(booking["reservation_code"])["ticket"]
    # Nobody served yet: the services' durations over the office's 10 counters.
    assert (ticket["position"], ticket["status"]) == (4, "waiting")
    assert ticket["expected_wait_minutes"] == -(-3 * duration // 10)
    # Two counters open now (they called someone in the last hour): the work ahead is shared by two.
    rpc.call_next("JKS", "1")
    rpc.call_next("JKS", "2")
    ticket = rpc.get_booking(booking["reservation_code"])["ticket"]
    assert ticket["position"] == 2 and ticket["expected_wait_minutes"] == -(-duration // 2)
    [mine] = rpc.list_bookings(booking["user_id"])
    assert mine["ticket"] == ticket
    assert rpc.get_booking(booking["reservation_code"])["ticket"]["ticket_number"] not in {
        t["ticket_number"] for t in ahead
    }


def test_a_late_arrival_the_sweep_marked_no_show_checks_in_the_same_day(rpc, engine, container):
    booking = today_booking(rpc, engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE booking SET status = 'no_show' WHERE id = :id"), {"id": booking["booking_id"]})
    ticket = rpc.check_in("JKS", confirm(booking["reservation_code"]))
    assert ticket["status"] == "waiting"
    assert rpc.get_booking(booking["reservation_code"])["status"] == "checked_in"


def test_a_no_show_booking_of_another_day_stays_refused(rpc, engine):
    booking = book(rpc, citizen(), {"slot_id": past_slot(engine, "JKS", hours_from_now=30)})
    with engine.begin() as conn:
        conn.execute(text("UPDATE booking SET status = 'no_show' WHERE id = :id"), {"id": booking["booking_id"]})
    assert error_code(rpc.check_in, "JKS", confirm(booking["reservation_code"])) == "BOOKING_NOT_ACTIVE"
