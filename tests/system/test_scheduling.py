"""Scheduling through the gateway: catalogue, availability, bookings with QR, cancel, reschedule, capacity,
and booking events reaching other ministries on the integration exchange."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from antre_common.auth import ACCESS_TOKEN_KEY
from antre_common.testing import wait_until

from .tokens import bearer, citizen, mint, staff


def first_slot(gateway, office="JKB", service="paspor_hilang", min_hours=30, skip=0):
    slots = gateway.get(f"/api/v1/offices/{office}/availability", params={"service": service}).json()
    later = datetime.now(UTC) + timedelta(hours=min_hours)
    return [s for s in slots if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0][skip]


def test_catalogue_is_public(gateway):
    offices = gateway.get("/api/v1/offices").json()
    assert len(offices) >= 10
    assert {o["timezone"] for o in offices} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    office = gateway.get("/api/v1/offices/DJJ").json()
    assert office["opening_hours"]["mon"] and office["counters"] > 0
    assert gateway.get("/api/v1/offices/XYZ").json()["code"] == "OFFICE_NOT_FOUND"
    services = gateway.get("/api/v1/services").json()
    assert all(s["required_documents"] for s in services)
    slots = gateway.get("/api/v1/offices/DJJ/availability", params={"service": "paspor_baru"}).json()
    assert slots and all(s["start"].endswith("+09:00") for s in slots)
    bad = gateway.get("/api/v1/offices/DJJ/availability", params={"service": "paspor_baru", "from": "2020-01-01"})
    assert (bad.status_code, bad.json()["code"]) == (422, "DATE_OUT_OF_WINDOW")
    missing = gateway.get("/api/v1/offices/DJJ/availability")
    assert (missing.status_code, missing.json()["code"]) == (400, "VALIDATION_ERROR")


@pytest.fixture
def integration_queue(stack):
    """A queue bound to antre.integration on the stack's vhost, as another ministry would bind one."""
    with Connection(stack.config.service_amqp_uri) as conn:
        exchange = Exchange("antre.integration", type="topic", durable=True)
        queue = Queue(f"test-ministry-{uuid.uuid4().hex[:8]}", exchange, routing_key="id.go.imigrasi.antre.#",
                      auto_delete=True)  # fmt: skip
        bound = queue(conn.channel())
        bound.declare()
        yield bound


def drain(queue, want, timeout=15):

    found, deadline = [], time.monotonic() + timeout
    while len(found) < want and time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        found.append(json.loads(message.body))
    return found


def test_citizen_books_sees_qr_reschedules_and_cancels(stack, gateway, integration_queue):
    person = citizen()
    auth = bearer(stack, person)
    slot, other = first_slot(gateway), first_slot(gateway, skip=1)
    assert gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": "paspor_hilang"}
                        ).status_code == 401  # fmt: skip
    body = {"slot_id": slot["slot_id"], "service_code": "paspor_hilang"}
    created = gateway.post("/api/v1/bookings", json=body, headers={**auth, "Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["status"] == "confirmed" and booking["start"] == slot["start"]
    assert "user_id" not in booking
    repeat = gateway.post("/api/v1/bookings", json=body, headers={**auth, "Idempotency-Key": "k-1"})
    assert (repeat.status_code, repeat.json()["booking_id"]) == (201, booking["booking_id"])
    second = gateway.post("/api/v1/bookings", json={**body, "slot_id": other["slot_id"]}, headers=auth)
    assert (second.status_code, second.json()["code"]) == (409, "ALREADY_BOOKED")
    code = booking["reservation_code"]
    assert [b["reservation_code"] for b in gateway.get("/api/v1/bookings", headers=auth).json()] == [code]

    png = gateway.get(f"/api/v1/bookings/{code}/qr", headers=auth)
    assert png.headers["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = gateway.get(f"/api/v1/bookings/{code}/qr", headers={**auth, "Accept": "image/svg+xml"})
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and b"<svg" in svg.content

    stranger = bearer(stack, citizen())
    for response in (
        gateway.get(f"/api/v1/bookings/{code}", headers=stranger),
        gateway.post(f"/api/v1/bookings/{code}/cancel", headers=stranger),
        gateway.get(f"/api/v1/bookings/{code}/qr", headers=stranger),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "BOOKING_NOT_FOUND")
    officer = bearer(stack, staff("officer", "JKB"))
    assert gateway.get(f"/api/v1/bookings/{code}", headers=officer).json()["booking_id"] == booking["booking_id"]
    elsewhere = bearer(stack, staff("officer", "JKS"))
    assert gateway.get(f"/api/v1/bookings/{code}", headers=elsewhere).status_code == 404

    moved = gateway.post(f"/api/v1/bookings/{code}/reschedule", json={"slot_id": other["slot_id"]}, headers=auth)
    assert moved.status_code == 200 and moved.json()["start"] == other["start"]
    twice = gateway.post(f"/api/v1/bookings/{code}/reschedule", json={"slot_id": slot["slot_id"]}, headers=auth)
    assert (twice.status_code, twice.json()["code"]) == (409, "RESCHEDULE_LIMIT_REACHED")

    cancelled = gateway.post(f"/api/v1/bookings/{code}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # A retried cancel (the first answer lost): API.md's answer again, the booking with status cancelled.
    again = gateway.post(f"/api/v1/bookings/{code}/cancel", headers={**auth, "Accept-Language": "en"})
    assert (again.status_code, again.json()) == (200, cancelled.json())
    moved_back = gateway.post(f"/api/v1/bookings/{code}/reschedule", json={"slot_id": slot["slot_id"]}, headers=auth)
    assert (moved_back.status_code, moved_back.json()["code"]) == (409, "BOOKING_NOT_ACTIVE")

    events = drain(integration_queue, 3)
    assert [e["type"] for e in events] == [
        "id.go.imigrasi.antre.booking.created.v1",
        "id.go.imigrasi.antre.booking.rescheduled.v1",
        "id.go.imigrasi.antre.booking.cancelled.v1",
    ]
    assert {e["data"]["booking_id"] for e in events} == {booking["booking_id"]}
    assert all(e["specversion"] == "1.0" for e in events)
    assert not any(person["sub"] in json.dumps(e) or person["pref"] in json.dumps(e) for e in events)


def test_full_slot_answers_409_and_capacity_is_for_the_offices_supervisor(stack, gateway):
    supervisor = bearer(stack, staff("supervisor", "YOG"))
    assert gateway.put("/api/v1/offices/YOG/capacity", json={"counters": 1}, headers=bearer(stack, citizen())
                       ).status_code == 403  # fmt: skip
    other_office = bearer(stack, staff("supervisor", "JKS"))
    assert gateway.put("/api/v1/offices/YOG/capacity", json={"counters": 1}, headers=other_office).status_code == 403
    # 1 counter, 60-minute slots, half online: 30 minutes a slot, one lost-passport interview.
    changed = gateway.put(
        "/api/v1/offices/YOG/capacity", json={"counters": 1, "slot_minutes": 60, "online_share": 0.5},
        headers=supervisor,
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["counters"] == 1
    slot = first_slot(gateway, office="YOG")
    assert slot["remaining"] == 1
    body = {"slot_id": slot["slot_id"], "service_code": "paspor_hilang"}
    assert gateway.post("/api/v1/bookings", json=body, headers=bearer(stack, citizen())).status_code == 201
    full = gateway.post("/api/v1/bookings", json=body, headers=bearer(stack, citizen()))
    assert (full.status_code, full.json()["code"]) == (409, "SLOT_FULL")
    day = slot["date"]
    after = gateway.get("/api/v1/offices/YOG/availability", params={"service": "paspor_hilang", "from": day, "to": day})
    assert next(s for s in after.json() if s["slot_id"] == slot["slot_id"])["remaining"] == 0


def test_office_operations_walk_ins_priority_counters_and_board(stack, gateway):
    officer = bearer(stack, staff("officer", "BPN"))
    other = bearer(stack, staff("officer", "JKS"))
    assert gateway.post("/api/v1/offices/BPN/walk-ins", json={"service_code": "paspor_baru"}, headers=other
                        ).status_code == 403  # fmt: skip
    assert gateway.post("/api/v1/offices/BPN/counters/1/call-next", headers=officer).status_code == 204
    plain = gateway.post("/api/v1/offices/BPN/walk-ins", json={"service_code": "paspor_baru", "name": "Budi"},
                         headers=officer)  # fmt: skip
    assert plain.status_code == 201, plain.text
    elder = gateway.post("/api/v1/offices/BPN/walk-ins", json={"service_code": "paspor_baru", "priority": "lansia"},
                         headers=officer).json()  # fmt: skip
    queue = gateway.get("/api/v1/offices/BPN/queue", headers=officer).json()
    assert [t["ticket_id"] for t in queue] == [elder["ticket_id"], plain.json()["ticket_id"]]
    called = gateway.post("/api/v1/offices/BPN/counters/3/call-next", headers=officer).json()
    assert (called["ticket_id"], called["counter"], called["status"]) == (elder["ticket_id"], "3", "called")
    board = gateway.get("/api/v1/offices/BPN/board").json()  # public
    assert board["now_serving"] == [{"ticket_number": elder["ticket_number"], "counter": "3"}]
    assert board["waiting"] == 1
    assert gateway.post(f"/api/v1/tickets/{elder['ticket_id']}/start", headers=other).status_code == 404
    assert gateway.post(f"/api/v1/tickets/{elder['ticket_id']}/start", headers=officer).json()["status"] == "serving"
    done = gateway.post(f"/api/v1/tickets/{elder['ticket_id']}/complete", headers=officer)
    assert done.json()["status"] == "completed"
    again = gateway.post(f"/api/v1/tickets/{elder['ticket_id']}/complete", headers=officer)  # a retry
    assert (again.status_code, again.json()) == (200, done.json())
    backwards = gateway.post(f"/api/v1/tickets/{elder['ticket_id']}/start", headers=officer)
    assert (backwards.status_code, backwards.json()["code"]) == (409, "TICKET_INVALID_TRANSITION")
    malformed = gateway.post("/api/v1/tickets/not-a-ticket/start", headers=officer)
    assert (malformed.status_code, malformed.json()["code"]) == (404, "TICKET_NOT_FOUND")
    no_counter = gateway.post("/api/v1/offices/BPN/counters/99/call-next", headers=officer)
    assert (no_counter.status_code, no_counter.json()["code"]) == (409, "COUNTER_CLOSED")  # valid in the document
    not_a_counter = gateway.post("/api/v1/offices/BPN/counters/x1/call-next", headers=officer)
    assert (not_a_counter.status_code, not_a_counter.json()["code"]) == (400, "VALIDATION_ERROR")
    keyed = {**officer, "Idempotency-Key": "walk-in-1"}
    first = gateway.post("/api/v1/offices/BPN/walk-ins", json={"service_code": "paspor_baru"}, headers=keyed)
    retry = gateway.post("/api/v1/offices/BPN/walk-ins", json={"service_code": "paspor_baru"}, headers=keyed)
    assert (first.status_code, retry.status_code, retry.json()) == (201, 201, first.json())


def test_check_in_of_a_booking_for_another_day_is_refused(stack, gateway):
    person = citizen()
    slot = first_slot(gateway, office="BPN", service="paspor_rusak")
    booking = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": "paspor_rusak"},
                           headers=bearer(stack, person)).json()  # fmt: skip
    officer = bearer(stack, staff("officer", "BPN"))
    check_in = {"reservation_code": booking["reservation_code"], "identity_confirmed": True}
    early = gateway.post("/api/v1/offices/BPN/check-ins", json=check_in, headers=officer)
    assert (early.status_code, early.json()["code"]) == (409, "CHECK_IN_WRONG_DAY")
    assert gateway.post("/api/v1/offices/BPN/check-ins", json=check_in,
                        headers=bearer(stack, person)).status_code == 403  # fmt: skip


def test_forecast_and_stats_are_for_the_offices_supervisors(stack, gateway):
    supervisor = bearer(stack, staff("supervisor", "DPS"))
    forecast = gateway.get("/api/v1/offices/DPS/forecast", headers=supervisor)
    assert forecast.status_code == 200, forecast.text
    assert len(forecast.json()) == 7 and {"booked", "recommended_counters"} <= set(forecast.json()[0])
    stats = gateway.get("/api/v1/offices/DPS/stats", headers=supervisor)
    assert stats.status_code == 200 and len(stats.json()) == 7
    for other in (staff("officer", "DPS"), staff("supervisor", "MKS"), citizen()):
        assert gateway.get("/api/v1/offices/DPS/forecast", headers=bearer(stack, other)).status_code == 403
    bad = gateway.get("/api/v1/offices/DPS/stats", params={"from": "2026-12-10", "to": "2026-12-01"},
                      headers=supervisor)  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")


def test_the_gateway_shows_a_change_made_elsewhere_before_its_cache_would_expire(stack, gateway):
    """Availability is cached in the gateway (60 s in this stack); a booking that did not pass through this
    gateway (another replica, here a direct RPC) drops the cached answer when scheduling's event arrives."""
    slot = first_slot(gateway, office="SBY", service="paspor_rusak")
    day = slot["date"]
    params = {"service": "paspor_rusak", "from": day, "to": day}

    def seats():
        answer = gateway.get("/api/v1/offices/SBY/availability", params=params).json()
        return next(s["remaining"] for s in answer if s["slot_id"] == slot["slot_id"])

    before = seats()  # now cached by the gateway
    user_id = str(uuid.uuid4())  # a booking the gateway did not see: straight to scheduling, with the token
    context = {ACCESS_TOKEN_KEY: mint(stack, {"sub": user_id, "role": "citizen"})}
    with ClusterRpcProxy({"AMQP_URI": stack.config.service_amqp_uri}, context_data=context) as cluster:
        cluster.scheduling.create_booking(
            {
                "user_id": user_id,
                "person_ref": uuid.uuid4().hex,
                "slot_id": slot["slot_id"],
                "service_code": "paspor_rusak",
                "idempotency_key": None,
            }  # fmt: skip
        )
    wait_until(lambda: seats() == before - 1, 2.5, what="a fresh answer (the gateway kept a stale one)")
