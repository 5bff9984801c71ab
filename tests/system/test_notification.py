"""Notification, end to end: the suite as processes, mail through the real SMTP sink.

A booking made through the gateway delivers its confirmation; a duplicated event delivers once; with SMTP
stopped the message is retried and delivered exactly once after SMTP returns; and the logs of the run hold
no OTP, no full NIK and no message body.
"""

import json
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import create_engine, text

from antre_common.envelope import make_envelope
from antre_common.testing import wait_until
from antre_dev.registry import add_resident

BIRTH = date(1990, 5, 15)
PASSWORD = "kopi tubruk di pelabuhan 2026"  # noqa: S105 - test value


def body(msg):
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")  # the confirmation has a QR too
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def of_type(message_type, to=None):
    return lambda m: m["X-Antre-Message-Type"] == message_type and (to is None or m["To"] == to)


wait_until = partial(wait_until, timeout=60)  # a whole suite of processes is slower than one container


class Citizen:
    def __init__(self, gateway, mailbox):
        serial = f"{uuid.uuid4().int % 10000:04d}"
        self.nik = f"317101{BIRTH:%d%m%y}{serial}"
        self.email = f"warga.{uuid.uuid4().hex[:10]}@example.id"
        self.full_name = "Dewi Lestari"
        add_resident({"nik": self.nik, "full_name": self.full_name, "birth_date": BIRTH.isoformat()})
        response = gateway.post(
            "/api/v1/auth/register",
            json={
                "nik": self.nik,
                "full_name": self.full_name,
                "birth_date": BIRTH.isoformat(),
                "email": self.email,
                "phone": "+6281234567890",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        self.user_id = response.json()["user_id"]
        [otp_mail] = mailbox.wait_for(of_type("otp", self.email), timeout=30)
        self.otp = re.search(r"\b(\d{6})\b", body(otp_mail)).group(1)
        self.gateway = gateway
        self.token = None

    def verify_and_login(self):
        assert self.gateway.post("/api/v1/auth/verify", json={"email": self.email, "otp": self.otp}).status_code == 200
        login = self.gateway.post("/api/v1/auth/login", json={"email": self.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        self.token = login.json()["access_token"]
        return self

    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def citizen(gateway, mailbox):
    return Citizen(gateway, mailbox)


@pytest.fixture
def publish(stack):
    """Publish an event on a service's exchange in the stack's vhost, as that service's outbox relay would."""
    dispatch = event_dispatcher({"AMQP_URI": stack.config.service_amqp_uri})
    return lambda source, envelope: dispatch(source, envelope["type"], envelope)


@pytest.fixture
def deliveries(stack):
    """Rows of notification's delivery log (its own database) for one event."""
    engine = create_engine(stack.config.database_url("notification"))

    def rows(event_id):
        with engine.connect() as conn:
            query = text("SELECT channel, status, attempts, last_error FROM delivery WHERE event_id = :e")
            return [dict(r._mapping) for r in conn.execute(query, {"e": event_id})]

    yield rows
    engine.dispose()


def an_office_and_service(gateway):
    offices = gateway.get("/api/v1/offices").json()
    services = gateway.get("/api/v1/services").json()
    assert offices and services
    return offices[0], services[0]


def booking_event(citizen, office, service, code):
    start = datetime.now(UTC) + timedelta(days=3)
    return make_envelope(
        "booking_created",
        {
            "booking_id": str(uuid.uuid4()),
            "reservation_code": code,
            "user_id": citizen.user_id,
            "office_code": office["code"],
            "service_code": service["code"],
            "date": start.date().isoformat(),
            "start": start.replace(hour=2, minute=0, second=0, microsecond=0).isoformat(),
        },
        request_id=uuid.uuid4().hex,
    )


def test_a_booking_delivers_the_confirmation_with_the_reservation_code(gateway, mailbox, citizen):
    citizen.verify_and_login()
    office, service = an_office_and_service(gateway)
    # No dates: the office's whole booking window.
    availability = gateway.get(f"/api/v1/offices/{office['code']}/availability", params={"service": service["code"]})
    assert availability.status_code == 200, availability.text
    slot = next(s for s in availability.json() if s["remaining"] > 0)
    response = gateway.post(
        "/api/v1/bookings",
        json={"slot_id": slot["slot_id"], "service_code": service["code"]},
        headers={**citizen.headers(), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    code = response.json()["reservation_code"]

    [mail] = mailbox.wait_for(lambda m: of_type("booking_confirmed", citizen.email)(m) and code in m["Subject"])
    text_ = body(mail)
    assert code in text_
    assert office["name"] in text_ and office["address"] in text_
    masked = citizen.nik[:4] + "**" + citizen.nik[6:8] + "****" + citizen.nik[-4:]
    assert masked in text_  # the masked NIK, as identity masks it
    assert citizen.nik not in text_
    assert "tidak pernah meminta uang atau data pribadi melalui WhatsApp atau telepon" in text_


def notification_log(stack, event_id):
    """notification's log lines about one event (one JSON object a line)."""
    found = []
    for line in (stack.logs / "notification.log").read_text(errors="replace").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("event_id") == event_id:
            found.append(doc)
    return found


def attempts_finished(stack, event_id, deliveries):
    """True when every attempt the delivery log counts has logged its outcome: none is still in flight."""
    outcomes = [d for d in notification_log(stack, event_id) if d["msg"].startswith("delivery ")]
    return len(outcomes) == sum(r["attempts"] for r in deliveries(event_id))


def test_a_duplicated_event_delivers_once(stack, gateway, mailbox, citizen, publish, deliveries):
    office, service = an_office_and_service(gateway)
    code = "DUP" + uuid.uuid4().hex[:5].upper()
    envelope = booking_event(citizen, office, service, code)
    publish("scheduling", envelope)
    publish("scheduling", envelope)  # at-least-once delivery: the same event_id twice
    mailbox.wait_for(lambda m: code in (m["Subject"] or ""))
    wait_until(lambda: {r["status"] for r in deliveries(envelope["event_id"])} == {"sent"}, what="both channels sent")
    log = lambda: notification_log(stack, envelope["event_id"])  # noqa: E731
    wait_until(lambda: [d for d in log() if d["msg"] == "event already handled"], what="the second copy handled")
    wait_until(lambda: attempts_finished(stack, envelope["event_id"], deliveries), what="every attempt's outcome")
    assert len([m for m in mailbox.messages() if code in (m["Subject"] or "")]) == 1
    rows = deliveries(envelope["event_id"])
    assert sorted((r["channel"], r["attempts"]) for r in rows) == [("email", 1), ("sms", 1)]


def test_with_smtp_stopped_the_mail_is_retried_and_delivered_exactly_once(
    stack, gateway, mailbox, citizen, publish, deliveries
):
    office, service = an_office_and_service(gateway)
    code = "OUT" + uuid.uuid4().hex[:5].upper()
    envelope = booking_event(citizen, office, service, code)
    stack.stop_smtp()
    try:
        publish("scheduling", envelope)

        def retried():
            email = [r for r in deliveries(envelope["event_id"]) if r["channel"] == "email"]
            return email and email[0]["attempts"] >= 2 and email[0]["status"] != "sent" and email[0]

        row = wait_until(retried, what="a failed first attempt and a retry")
        assert row["last_error"].startswith("smtp unreachable")
        assert not [m for m in mailbox.messages() if code in (m["Subject"] or "")]
    finally:
        stack.start_smtp()
    mailbox.wait_for(lambda m: code in (m["Subject"] or ""), timeout=120)
    wait_until(
        lambda: [r for r in deliveries(envelope["event_id"]) if r["status"] == "sent" and r["channel"] == "email"]
    )
    # Sent: no new attempt starts; once every counted attempt has its outcome, none is in flight either.
    wait_until(lambda: attempts_finished(stack, envelope["event_id"], deliveries), what="every attempt's outcome")
    assert len([m for m in mailbox.messages() if code in (m["Subject"] or "")]) == 1


def test_the_logs_of_the_run_hold_no_otp_no_full_nik_and_no_message_body(stack, mailbox, citizen):
    mail = mailbox.wait_for(of_type("otp", citizen.email))[0]
    lines = [line for line in body(mail).splitlines() if len(line) > 20]
    time.sleep(1)  # let the processes flush their log lines of this delivery
    logs = "\n".join(p.read_text(errors="replace") for p in stack.logs.glob("*.log"))
    assert "delivery sent" in logs  # notification did log its deliveries
    assert citizen.otp not in logs
    assert citizen.nik not in logs
    assert citizen.email not in logs
    for line in lines:
        assert line not in logs, line
