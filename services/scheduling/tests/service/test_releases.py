"""Releases, the waiting room, admissions, the waitlist and the cooldown through the real service (RabbitMQ and
PostgreSQL real): a fair release is a random order before the opening, admissions are needed while people wait
and are good for one seat, a freed seat goes to the first person waiting, churn stops new bookings."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.exceptions import RemoteError
from sqlalchemy import text

from antre_common.errors import parse_remote
from antre_common.testing import wait_until

from .conftest import as_gateway, citizen, error_code, outbox, set_seats

SERVICE = "paspor_hilang"  # 30 minutes


@pytest.fixture
def config(service_config, test_tokens):
    return dict(
        service_config,
        **test_tokens.config,
        max_workers=50,
        DB_POOL_SIZE=20,
        RELEASE_SWEEP_SECONDS=0.3,
        RELEASE_ADMISSION_RATE=1000,
        WAITLIST_OFFER_SECONDS=3,
        WAITLIST_SWEEP_SECONDS=0.3,
    )


@pytest.fixture
def rpc(config, container, test_tokens):
    with as_gateway(config, test_tokens) as scheduling:
        yield scheduling


def extra_release(rpc, office="JKS", opens_in=timedelta(seconds=3)):
    """An extra day after the rolling window, opening ``opens_in`` from now (the first day the office is open)."""
    until = date.fromisoformat(rpc.get_office(office)["booking_window"]["open_until"])
    opens_at = (datetime.now(UTC) + opens_in).isoformat()
    for n in range(1, 10):
        try:
            day = (until + timedelta(days=n)).isoformat()
            return rpc.create_release({"office_code": office, "date": day, "opens_at": opens_at})
        except RemoteError as exc:
            if parse_remote(exc.value)["code"] not in ("VALIDATION_ERROR", "RELEASE_EXISTS"):  # closed; planned
                raise
    raise AssertionError("no open day after the window")


def join(rpc, release, person):
    return rpc.queue_place({"release_id": release["release_id"], "user_id": person["user_id"]}, join=True)


def poll(rpc, release, person):
    return rpc.queue_place({"release_id": release["release_id"], "user_id": person["user_id"]})


def day_slots(rpc, day, office="JKS"):
    q = {"office_code": office, "service_code": SERVICE, "date_from": day, "date_to": day}
    return rpc.get_availability(q)


def open_now(engine, release):
    """The clock moved to the opening (the release timer opens it at its next round)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE release SET opens_at = now() WHERE id = :r"), {"r": release["release_id"]})


def opened(rpc, release):
    def slots():
        try:
            return day_slots(rpc, release["date"])
        except RemoteError:
            return []  # DATE_OUT_OF_WINDOW until it opens

    wait_until(slots, 20, what="the extra release's slots")
    return slots()


def codes_of(replies):
    confirmed, codes = [], []
    for reply in replies:
        try:
            confirmed.append(reply.result())
        except RemoteError as exc:
            codes.append(parse_remote(exc.value)["code"])
    return confirmed, codes


def test_a_race_of_200_admitted_citizens_for_10_seats_confirms_exactly_10(rpc, engine):
    set_seats(rpc, "JKS", 10)
    release = extra_release(rpc, opens_in=timedelta(minutes=10))
    assert release["status"] == "waiting_room" and release["kind"] == "extra"
    people = [citizen() for _ in range(200)]
    for person in people:
        assert join(rpc, release, person)["state"] == "waiting"
    open_now(engine, release)
    slot = opened(rpc, release)[0]
    assert slot["remaining"] == 10
    places = [poll(rpc, release, p) for p in people]
    assert {p["state"] for p in places} == {"admitted"}
    replies = [
        rpc.create_booking.call_async(
            {**p, "slot_id": slot["slot_id"], "service_code": SERVICE, "admission": place["admission"]}
        )
        for p, place in zip(people, places, strict=True)
    ]
    confirmed, codes = codes_of(replies)
    assert len(confirmed) == 10 and codes == ["SLOT_FULL"] * 190
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT count(*) FROM booking WHERE slot_id = :s AND status = 'confirmed'"), {"s": slot["slot_id"]}
        ).scalar()
        used = conn.execute(text("SELECT count(*) FROM queue_place WHERE used_at IS NOT NULL")).scalar()
        booked_count = conn.execute(
            text("SELECT booked_count FROM slot WHERE id = :s"), {"s": slot["slot_id"]}
        ).scalar()
    assert rows == booked_count == used == 10  # a failed booking leaves its admission unused
    assert [r for r in outbox(engine, "release_opened") if r["data"]["release_id"] == release["release_id"]]


def test_the_order_of_those_who_joined_before_the_opening_is_a_random_permutation(rpc):
    """Spearman's rank correlation between join order and place: for a uniformly random permutation of 300 its
    standard deviation is 1/sqrt(299) = 0.058; first come, first served would give 1. The join order is
    shuffled with a fixed seed."""
    release = extra_release(rpc, opens_in=timedelta(minutes=10))
    people = [citizen() for _ in range(300)]
    random.Random(21).shuffle(people)
    first = [join(rpc, release, p) for p in people]
    assert join(rpc, release, people[0])["position"] == poll(rpc, release, people[0])["position"]  # twice: same
    places = [poll(rpc, release, p)["position"] for p in people]
    assert sorted(places) == list(range(1, 301))  # a permutation: every place once
    n = len(places)
    d2 = sum((i + 1 - p) ** 2 for i, p in enumerate(places))
    rho = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(rho) < 0.3, rho
    assert first[0]["retry_after_seconds"] >= 1 and all(f["state"] == "waiting" for f in first)


def test_admission_rules(rpc, engine):
    set_seats(rpc, "JKS", 2)
    release = extra_release(rpc, opens_in=timedelta(minutes=10))
    a, b, c, late = citizen(), citizen(), citizen(), citizen()
    for p in (a, b, c):
        join(rpc, release, p)
    open_now(engine, release)
    slot = opened(rpc, release)[0]
    admitted = {p["user_id"]: poll(rpc, release, p) for p in (a, b, c)}

    def book(person, admission=None):
        extra = {"admission": admission} if admission else {}
        return rpc.create_booking({**person, "slot_id": slot["slot_id"], "service_code": SERVICE, **extra})

    with engine.begin() as conn:  # back before the opening: people are waiting, nobody is admitted
        conn.execute(text("UPDATE release SET opens_at = now() + interval '1 hour' WHERE id = :r"),
                     {"r": release["release_id"]})  # fmt: skip
    assert error_code(book, late) == "ADMISSION_REQUIRED"  # nobody is let past the waiting room
    assert error_code(book, a, admitted[a["user_id"]]["admission"]) == "ADMISSION_REQUIRED"  # not yet its turn
    with engine.begin() as conn:
        conn.execute(text("UPDATE release SET opens_at = now() WHERE id = :r"), {"r": release["release_id"]})
    assert error_code(book, a, admitted[b["user_id"]]["admission"]) == "ADMISSION_INVALID"  # someone else's
    assert error_code(book, a, str(uuid.uuid4())) == "ADMISSION_INVALID"
    assert book(a, admitted[a["user_id"]]["admission"])["status"] == "confirmed"
    assert error_code(book, a, admitted[a["user_id"]]["admission"]) == "ADMISSION_USED"  # one seat per admission
    assert poll(rpc, release, a)["state"] == "closed"
    with engine.begin() as conn:  # c's admission ran out
        conn.execute(text("UPDATE release SET opens_at = now() - interval '2 hours' WHERE id = :r"),
                     {"r": release["release_id"]})  # fmt: skip
    assert error_code(book, c, admitted[c["user_id"]]["admission"]) == "ADMISSION_EXPIRED"


def test_joining_bad_releases(rpc):
    person = citizen()
    for release_id in (str(uuid.uuid4()), "not-a-uuid"):
        assert error_code(rpc.queue_place, {"release_id": release_id, "user_id": person["user_id"]}, True) == (
            "RELEASE_NOT_FOUND"
        )
    later = extra_release(rpc, opens_in=timedelta(hours=2))
    assert later["status"] == "scheduled"
    assert error_code(join, rpc, later, person) == "WAITING_ROOM_NOT_OPEN"
    assert error_code(poll, rpc, later, person) == "QUEUE_PLACE_NOT_FOUND"
    day = later["date"]
    again = {"office_code": "JKS", "date": day, "opens_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    assert error_code(rpc.create_release, again) == "RELEASE_EXISTS"
    assert error_code(rpc.create_release, dict(again, date=date.today().isoformat())) == "DATE_OUT_OF_WINDOW"
    past = dict(again, opens_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert error_code(rpc.create_release, past) == "VALIDATION_ERROR"
    listed = rpc.list_releases("JKS")
    assert later["release_id"] in {r["release_id"] for r in listed}
    assert {r["kind"] for r in listed} == {"daily", "extra"}  # the next rolling release is planned too


def fill_day(rpc, day):
    """Every slot of ``day`` taken (one 30-minute seat each); the bookings."""
    set_seats(rpc, "JKS", 1)
    return [
        rpc.create_booking({**citizen(), "slot_id": s["slot_id"], "service_code": SERVICE}) for s in day_slots(rpc, day)
    ]


def a_full_day(rpc):
    window = rpc.get_office("JKS")["booking_window"]
    for n in range(3, 12):
        day = (date.fromisoformat(window["open_until"]) - timedelta(days=n)).isoformat()
        if day_slots(rpc, day):
            return day, fill_day(rpc, day)
    raise AssertionError("no open day")


def test_a_freed_seat_is_offered_to_the_first_person_waiting_then_the_next(rpc, engine):
    day, booked = a_full_day(rpc)
    first, second = citizen(), citizen()
    ask = {"office_code": "JKS", "service_code": SERVICE, "date": day}
    w1 = rpc.join_waitlist({**first, **ask})
    w2 = rpc.join_waitlist({**second, **ask})
    assert (w1["status"], w1["position"], w2["position"]) == ("waiting", 1, 2)
    assert rpc.join_waitlist({**first, **ask})["waitlist_id"] == w1["waitlist_id"]  # joining twice: the same
    assert error_code(rpc.waitlist_action, {"waitlist_id": w1["waitlist_id"], "user_id": first["user_id"]}, True) == (
        "OFFER_NOT_ACTIVE"
    )
    gone = booked[0]
    rpc.cancel_booking({"reservation_code": gone["reservation_code"], "user_id": gone["user_id"]})
    mine = rpc.my_waitlist(first["user_id"])[0]
    assert mine["status"] == "offered" and mine["offer"]["slot_id"] == gone["slot_id"]
    assert not [s for s in day_slots(rpc, day) if s["remaining"]]  # held: the crowd cannot take it
    # Nobody answers: the offer passes to the second person, exactly once.
    wait_until(lambda: rpc.my_waitlist(second["user_id"])[0]["status"] == "offered", 20, what="the next offer")
    assert rpc.my_waitlist(first["user_id"])[0]["status"] == "expired"
    offers = [o["data"] for o in outbox(engine, "waitlist_offer")]
    assert [o["waitlist_id"] for o in offers] == [w1["waitlist_id"], w2["waitlist_id"]]
    accepted = rpc.waitlist_action({"waitlist_id": w2["waitlist_id"], "user_id": second["user_id"]}, True)
    assert accepted["status"] == "confirmed" and accepted["slot_id"] == gone["slot_id"]
    assert rpc.my_waitlist(second["user_id"])[0]["status"] == "booked"
    with engine.connect() as conn:
        count, minutes = conn.execute(
            text("SELECT booked_count, booked_minutes FROM slot WHERE id = :s"), {"s": gone["slot_id"]}
        ).one()
    assert (count, minutes) == (1, 30)  # one seat, one booking: nothing held twice, nothing lost


def test_waitlist_bad_input(rpc):
    person = citizen()
    window = rpc.get_office("JKS")["booking_window"]
    ask = {**person, "office_code": "JKS", "service_code": SERVICE}
    open_day = next(
        d for n in range(3, 12)
        if day_slots(rpc, d := (date.fromisoformat(window["open_until"]) - timedelta(days=n)).isoformat())
    )  # fmt: skip
    assert error_code(rpc.join_waitlist, dict(ask, date=open_day)) == "SEATS_AVAILABLE"
    far = (date.fromisoformat(window["open_until"]) + timedelta(days=40)).isoformat()
    assert error_code(rpc.join_waitlist, dict(ask, date=far)) == "DATE_OUT_OF_WINDOW"
    other = {"waitlist_id": str(uuid.uuid4()), "user_id": person["user_id"]}
    assert error_code(rpc.waitlist_action, other) == "WAITLIST_NOT_FOUND"
    prepaid = dict(ask, service_code="paspor_elektronik", date=open_day)  # an offer would skip its bill
    assert error_code(rpc.join_waitlist, prepaid) == "WAITLIST_NOT_FOR_PREPAID"
    assert rpc.my_waitlist(person["user_id"]) == []  # nothing written


def test_cancelling_more_than_twice_in_a_month_stops_new_bookings_for_a_week(rpc):
    person = citizen()
    window = rpc.get_office("JKS")["booking_window"]
    slot = next(s for s in day_slots(rpc, window["open_until"]) if s["remaining"])
    for _ in range(3):
        made = rpc.create_booking({**person, "slot_id": slot["slot_id"], "service_code": SERVICE})
        rpc.cancel_booking({"reservation_code": made["reservation_code"], "user_id": person["user_id"]})
    with pytest.raises(RemoteError) as info:
        rpc.create_booking({**person, "slot_id": slot["slot_id"], "service_code": SERVICE})
    doc = parse_remote(info.value.value)
    assert doc["code"] == "BOOKING_COOLDOWN"
    until = datetime.fromisoformat(doc["params"]["until"])
    assert timedelta(days=6, hours=23) < until - datetime.now(UTC) <= timedelta(days=7)
    other = citizen()  # someone else is not affected
    assert rpc.create_booking({**other, "slot_id": slot["slot_id"], "service_code": SERVICE})["status"] == "confirmed"
