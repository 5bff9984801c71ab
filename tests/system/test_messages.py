"""Messages a citizen can verify, end to end through the gateway: during a whole booking (registration code,
welcome, confirmation, document review, reminder, "your turn") every message lands in the citizen's inbox
without any one-time code, each check code printed in a real mail or SMS verifies as genuine, and a made-up,
malformed, empty or over-long code and a flood of guesses get their documented answers."""

import json
import re
import uuid
from datetime import date
from functools import partial

import psycopg2

from antre_common.testing import wait_until
from antre_dev.mailbox import text_of
from antre_dev.registry import add_resident
from documents import samples

from .tokens import bearer, staff

OFFICE, SERVICE = "YOG", "paspor_baru"  # no other system test books here
BIRTH = date(1991, 3, 9)
PASSWORD = "gudeg jogja di malioboro"  # noqa: S105 - test value
CODE = re.compile(r"(?:Kode cek(?: pesan ini:)?|Check code(?: of this message:)?) ([0-9A-Z]{5}-[0-9A-Z]{5})")
FULL_BOOKING = {"otp", "booking_confirmed", "document_rejected", "reminder", "your_turn"}

wait_until = partial(wait_until, timeout=120)  # the reminder timer of the suite runs once a minute


def address(n):
    return {"X-Forwarded-For": f"198.51.100.{n}"}


def register(gateway, mailbox):
    person = {
        "nik": f"317101{BIRTH:%d%m%y}{uuid.uuid4().int % 10000:04d}",
        "full_name": "Sri Wahyuni",
        "birth_date": BIRTH.isoformat(),
        "email": f"sri.{uuid.uuid4().hex[:10]}@example.id",
        "phone": "+6281390001122",
        "password": PASSWORD,
    }
    add_resident(person)
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    [mail] = mailbox.wait_for(lambda m: m["To"] == person["email"] and m["X-Antre-Message-Type"] == "otp", timeout=30)
    otp = re.search(r"\b(\d{6})\b", text_of(mail)).group(1)
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    return person, otp, {"Authorization": f"Bearer {login.json()['access_token']}"}


def book(gateway, me):
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    slot = next(s for s in slots if s["remaining"] > 0)
    created = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE}, headers=me)
    assert created.status_code == 201, created.text
    return created.json()["reservation_code"]


def move_to_now(stack, code):
    """The booking moved to now in scheduling's database (what a clock set to the day of the visit would
    arrange): the reminder timer and the check-in both want it to be today."""
    with psycopg2.connect(stack.config.database_url("scheduling").replace("+psycopg2", "")) as conn:
        with conn.cursor() as cursor:
            cursor.execute(
                "UPDATE booking SET start_at = now() + interval '30 minutes', end_at = now() + interval '1 hour'"
                " WHERE reservation_code = %s",
                (code,),
            )
            assert cursor.rowcount == 1
    conn.close()


def printed_codes(stack, mailbox, person):
    """``{check code: (message type, channel)}`` of every mail and SMS the person really received."""
    out = {}
    for mail in mailbox.messages():
        if mail["To"] == person["email"]:
            [code] = CODE.findall(text_of(mail))
            out[code] = (mail["X-Antre-Message-Type"], "email")
    sms_path = stack.config.var / "sms" / "messages.jsonl"
    for line in sms_path.read_text().splitlines() if sms_path.exists() else []:
        sms = json.loads(line)
        if sms["to"].replace("-", "").endswith(person["phone"][-9:]):
            [code] = CODE.findall(sms["text"])
            out[code] = (sms["X-Antre-Message-Type"], "sms")
    return out


def test_a_whole_booking_lands_in_the_inbox_and_every_code_verifies(stack, gateway, mailbox):
    person, otp, me = register(gateway, mailbox)
    code = book(gateway, me)
    officer = bearer(stack, staff("officer", OFFICE))

    uploaded = gateway.post(f"/api/v1/bookings/{code}/documents", data={"doc_type": "ktp"},
                            files={"file": ("ktp.pdf", samples.pdf(4000), "application/pdf")}, headers=me)  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    review = gateway.post(f"/api/v1/documents/{uploaded.json()['document_id']}/review",
                          json={"decision": "rejected", "reason": "Foto KTP buram"}, headers=officer)  # fmt: skip
    assert review.status_code == 200, review.text

    move_to_now(stack, code)
    # The reminder goes to a booking not checked in yet, by the suite's reminder timer (once a minute).
    types = lambda: {m["type"] for m in gateway.get("/api/v1/me/messages", headers=me).json()}  # noqa: E731
    wait_until(lambda: "reminder" in types(), what="the reminder")
    checked_in = gateway.post(f"/api/v1/offices/{OFFICE}/check-ins",
                              json={"reservation_code": code, "identity_confirmed": True}, headers=officer)  # fmt: skip
    assert checked_in.status_code == 201, checked_in.text
    assert gateway.post(f"/api/v1/offices/{OFFICE}/counters/1/call-next", headers=officer).status_code == 200

    def inbox():
        """The inbox once it holds the whole booking and every message the person really received."""
        messages = gateway.get("/api/v1/me/messages", headers=me).json()
        complete = FULL_BOOKING <= {m["type"] for m in messages}
        return messages if complete and {m["check_code"] for m in messages} == set(printed_codes(
            stack, mailbox, person)) else None  # fmt: skip

    messages = wait_until(inbox, what="every message of the booking in the inbox")
    for message in messages:
        line = json.dumps(message)
        assert otp not in line and person["nik"] not in line and person["email"] not in line
        assert message["subject"] and message["summary"] and message["check_code"]
    assert len({m["check_code"] for m in messages}) == len(messages)

    printed = printed_codes(stack, mailbox, person)
    assert {(m["type"], m["channel"]) for m in messages} == set(printed.values())
    assert {m["check_code"] for m in messages} == set(printed)
    for n, (check_code, (message_type, channel)) in enumerate(printed.items()):
        answer = gateway.get("/api/v1/messages/verify", params={"code": check_code}, headers=address(n))
        assert answer.status_code == 200, answer.text
        assert {k: answer.json()[k] for k in ("genuine", "type", "channel")} == {
            "genuine": True, "type": message_type, "channel": channel}  # fmt: skip
        assert set(answer.json()) == {"genuine", "type", "channel", "sent_at"}  # nothing personal

    assert gateway.get("/api/v1/me/messages").status_code == 401


def test_wrong_codes_get_one_answer_and_a_flood_gets_429(gateway):
    def ask(code, n=200):
        return gateway.get("/api/v1/messages/verify", params={"code": code}, headers=address(n))

    made_up, malformed = ask("7K3QD-M2XPA", 201), ask("###", 202)
    for answer in (made_up, malformed):
        assert answer.status_code == 404
        assert answer.headers["Content-Type"] == "application/problem+json"
        body = {k: v for k, v in answer.json().items() if k != "request_id"}
        assert body["genuine"] is False and body["code"] == "MESSAGE_NOT_FOUND"
    assert made_up.json().keys() == malformed.json().keys()
    assert {k: v for k, v in made_up.json().items() if k != "request_id"} == {
        k: v for k, v in malformed.json().items() if k != "request_id"}  # fmt: skip

    for code in ("", "7" * 41):
        answer = ask(code, 203)
        assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR"), code
    assert gateway.get("/api/v1/messages/verify", headers=address(203)).status_code == 400

    statuses = [ask(f"{uuid.uuid4().hex[:10]}", 204) for _ in range(25)]
    assert [r.status_code for r in statuses[:20]] == [404] * 20
    limited = statuses[-1]
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["Retry-After"]) <= 600
    assert ask("7K3QD-M2XPA", 205).status_code == 404  # another address is not limited
