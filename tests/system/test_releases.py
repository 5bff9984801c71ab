"""Fair quota release through the gateway (issue 21): an extra release with its waiting room, admissions, the
waitlist with offers by email, and an offer that expires passing to the next person exactly once even when the
scheduling process is killed in the middle of the hand-over.

The module runs its own scheduling process (short offer deadline, fast timers) in place of the stack's, and
puts the stack's back afterwards. Office MKS (no other system test books there)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from antre_common.testing import wait_until

from .people import PASSWORD, code_from_mail, new_person
from .tokens import bearer, citizen, staff

OFFICE, SERVICE = "MKS", "paspor_hilang"
FAST = {"WAITLIST_OFFER_SECONDS": "6", "WAITLIST_SWEEP_SECONDS": "0.5", "RELEASE_SWEEP_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def scheduling(stack):
    """A scheduling process with short deadlines instead of the stack's; returns a function that starts one."""
    running = []

    def start():
        key = stack.start_service("scheduling", replica=f"fast{len(running)}", env=FAST)
        running.append(key)
        return key

    stack.stop_process("scheduling")
    start()
    yield start
    for key in running:
        stack.stop_process(key)
    stack.start_service("scheduling")


@pytest.fixture(scope="module")
def db(stack):
    engine = create_engine(stack.config.database_url("scheduling"))
    yield engine
    engine.dispose()


def registered(gateway, mailbox):
    """A citizen who signed up (so messages reach them); their headers and email."""
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}, person["email"]


def day_slots(gateway, day):
    """The day's slots; none while the day is not released (the answer is then DATE_OUT_OF_WINDOW)."""
    params = {"service": SERVICE, "from": day, "to": day}
    answer = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params=params)
    return answer.json() if answer.status_code == 200 else []


def offers_to(mailbox, email):
    return [m for m in mailbox.messages() if m["To"] == email and m["X-Antre-Message-Type"] == "waitlist_offer"]


def test_an_extra_release_opens_through_its_waiting_room(stack, gateway, scheduling):
    supervisor = bearer(stack, staff("supervisor", OFFICE))
    window = gateway.get(f"/api/v1/offices/{OFFICE}").json()["booking_window"]
    opens_at = (datetime.now(UTC) + timedelta(seconds=8)).isoformat()
    release = None
    for n in range(2, 10):
        day = (date.fromisoformat(window["open_until"]) + timedelta(days=n)).isoformat()
        answer = gateway.post(f"/api/v1/offices/{OFFICE}/releases", json={"date": day, "opens_at": opens_at},
                              headers=supervisor)  # fmt: skip
        if answer.status_code == 201:
            release = answer.json()
            break
        assert answer.json()["code"] == "VALIDATION_ERROR", answer.text  # a day the office is closed
    assert release and release["status"] == "waiting_room"
    assert gateway.post(f"/api/v1/offices/{OFFICE}/releases", json={"date": day, "opens_at": opens_at},
                        headers=bearer(stack, citizen())).status_code == 403  # fmt: skip
    listed = gateway.get(f"/api/v1/offices/{OFFICE}/releases").json()
    assert release["release_id"] in {r["release_id"] for r in listed}

    people = [bearer(stack, citizen()) for _ in range(5)]
    queue = f"/api/v1/releases/{release['release_id']}/queue"
    joined = [gateway.post(queue, headers=h) for h in people]
    assert {j.status_code for j in joined} == {201} and {j.json()["state"] for j in joined} == {"waiting"}
    assert sorted(j.json()["position"] for j in joined)[-1] <= 5
    assert (
        gateway.post(queue, headers=people[0]).json()["position"]
        == gateway.get(queue, headers=people[0]).json()["position"]
    )  # joining twice: the same place
    assert gateway.get(queue, headers=bearer(stack, citizen())).json()["code"] == "QUEUE_PLACE_NOT_FOUND"
    assert gateway.post("/api/v1/releases/not-a-release/queue", headers=people[0]).json()["code"] == (
        "RELEASE_NOT_FOUND"
    )

    places = [wait_until(lambda h=h: _admitted(gateway, queue, h), 40, what="an admission") for h in people]
    slot = wait_until(lambda: day_slots(gateway, day), 20, what="the release's slots")[0]
    body = {"slot_id": slot["slot_id"], "service_code": SERVICE}
    other = gateway.post("/api/v1/bookings", headers=people[0], json=dict(body, admission=places[1]["admission"]))
    assert (other.status_code, other.json()["code"]) == (403, "ADMISSION_INVALID")  # someone else's admission
    booked = gateway.post("/api/v1/bookings", headers=people[0], json=dict(body, admission=places[0]["admission"]))
    assert booked.status_code == 201, booked.text
    assert gateway.get(queue, headers=people[0]).json()["state"] == "closed"  # used: one seat per admission


def _admitted(gateway, queue, headers):
    place = gateway.get(queue, headers=headers).json()
    return place if place["state"] == "admitted" else None


def test_an_expired_offer_passes_to_the_next_person_once_even_if_scheduling_dies_in_the_hand_over(
    stack, gateway, mailbox, scheduling, db
):
    admin = bearer(stack, staff("admin", None))
    capacity = {"counters": 1, "slot_minutes": 60, "online_share": 0.5}  # one 30-minute seat per slot
    assert gateway.put(f"/api/v1/offices/{OFFICE}/capacity", json=capacity, headers=admin).status_code == 200
    window = gateway.get(f"/api/v1/offices/{OFFICE}").json()["booking_window"]
    day = next(
        d for n in range(3, 12)
        if day_slots(gateway, d := (date.fromisoformat(window["open_until"]) - timedelta(days=n)).isoformat())
    )  # fmt: skip
    first, first_email = registered(gateway, mailbox)
    second, second_email = registered(gateway, mailbox)
    ask = {"office_code": OFFICE, "service_code": SERVICE, "date": day}
    assert gateway.post("/api/v1/waitlist", json=ask, headers=first).json()["code"] == "SEATS_AVAILABLE"
    fillers = []
    for slot in day_slots(gateway, day):
        headers = bearer(stack, citizen())
        made = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE},
                            headers=headers)  # fmt: skip
        assert made.status_code == 201, made.text
        fillers.append((headers, made.json()))
    w1 = gateway.post("/api/v1/waitlist", json=ask, headers=first)
    w2 = gateway.post("/api/v1/waitlist", json=ask, headers=second)
    assert (w1.status_code, w1.json()["position"], w2.json()["position"]) == (201, 1, 2)
    w1, w2 = w1.json()["waitlist_id"], w2.json()["waitlist_id"]

    headers, gone = fillers[0]
    assert gateway.post(f"/api/v1/bookings/{gone['reservation_code']}/cancel", headers=headers).status_code == 200
    offer = gateway.get("/api/v1/waitlist", headers=first).json()[0]
    assert offer["status"] == "offered" and offer["offer"]["slot_id"] == gone["slot_id"]
    mailbox.wait_for(lambda m: m["To"] == first_email and m["X-Antre-Message-Type"] == "waitlist_offer", 30)

    # The second person's entry is locked, so the sweep that expires the first offer stops in the middle of
    # the hand-over (first expired and the seat returned, not yet offered): there the process is killed.
    with db.connect() as conn:
        lock = conn.begin()
        conn.execute(text("SELECT 1 FROM waitlist_entry WHERE id = :w FOR UPDATE"), {"w": w2})
        wait_until(lambda: _sweep_waiting_on_lock(conn, stack), 40, what="the hand-over waiting on the lock")
        victim = next(key for key in stack.procs if key.startswith("scheduling-fast"))
        stack.procs[victim].kill()
        stack.procs[victim].wait()
        lock.rollback()
    scheduling()  # a new process takes over

    wait_until(lambda: gateway.get("/api/v1/waitlist", headers=second).json()[0]["status"] == "offered", 40,
               what="the offer passing to the second person")  # fmt: skip
    assert gateway.get("/api/v1/waitlist", headers=first).json()[0]["status"] == "expired"
    accepted = gateway.post(f"/api/v1/waitlist/{w1}/accept", headers=first)
    assert (accepted.status_code, accepted.json()["code"]) == (409, "OFFER_NOT_ACTIVE")
    booked = gateway.post(f"/api/v1/waitlist/{w2}/accept", headers=second)
    assert booked.status_code == 201 and booked.json()["slot_id"] == gone["slot_id"], booked.text
    mailbox.wait_for(lambda m: m["To"] == second_email and m["X-Antre-Message-Type"] == "booking_confirmed", 30)

    with db.connect() as conn:
        offers = (
            conn.execute(text("SELECT payload->'data'->>'waitlist_id' FROM outbox WHERE event_type = 'waitlist_offer'"))
            .scalars()
            .all()
        )
        seat = conn.execute(text("SELECT booked_count FROM slot WHERE id = :s"), {"s": gone["slot_id"]}).scalar()
    assert sorted(o for o in offers if o in (w1, w2)) == sorted([w1, w2])  # each offered exactly once
    assert seat == 1  # one seat, one booking: nothing held twice, nothing lost
    assert len(offers_to(mailbox, first_email)) == 1 and len(offers_to(mailbox, second_email)) == 1


def _sweep_waiting_on_lock(conn, stack):
    return conn.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
    ).scalar()
