"""No enumeration and no abuse at the cheap doors (issue 17, finding 5): code requests and password resets
answer alike for pending, active and unknown emails, limits included; registrations are limited per email
(and per address and phone, in identity's database: services/identity/tests/service/test_phone_limit.py);
only Indonesian phone numbers are texted."""

import statistics
import time
import uuid

from .people import new_person
from .test_identity import register_verify_login


def answers(gateway, path, email, n=6):
    """Status, body and time of ``n`` requests for ``email`` from an address of its own."""
    address = {"X-Forwarded-For": f"198.51.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"}
    out = []
    for _ in range(n):
        began = time.perf_counter()
        response = gateway.post(path, json={"email": email}, headers=address)
        out.append((response.status_code, response.json().get("code") or response.json(), time.perf_counter() - began))
    return out


def test_code_requests_and_resets_answer_alike_for_pending_active_and_unknown_emails(gateway, mailbox):
    pending = new_person()
    assert gateway.post("/api/v1/auth/register", json=pending).status_code == 201
    active = new_person()
    register_verify_login(gateway, mailbox, active)
    unknown = f"nobody.{uuid.uuid4().hex[:8]}@example.id"
    for path in ("/api/v1/auth/otp", "/api/v1/auth/password-reset"):
        seen = {who: answers(gateway, path, email) for who, email in
                (("pending", pending["email"]), ("active", active["email"]), ("unknown", unknown))}  # fmt: skip
        shapes = {who: [(status, body) for status, body, _ in got] for who, got in seen.items()}
        expected = [(202, {"status": "accepted"})] * 5 + [(429, "RATE_LIMITED")]
        assert shapes == {"pending": expected, "active": expected, "unknown": expected}, path
        # Roughly the same time too: a code sent costs an outbox row, not a round trip.
        medians = [statistics.median(t for _, _, t in got[:5]) for got in seen.values()]
        assert max(medians) - min(medians) < 0.25, (path, medians)


def test_registrations_of_one_email_are_rate_limited_across_addresses(gateway):
    email = f"ayu.{uuid.uuid4().hex[:10]}@example.id"
    statuses = []
    for n in range(6):  # another person (NIK) each time, from another address
        person = dict(new_person(), email=email)
        address = {"X-Forwarded-For": f"203.0.113.{n + 1}"}
        statuses.append(gateway.post("/api/v1/auth/register", json=person, headers=address).status_code)
    assert statuses == [201, 409, 409, 409, 409, 429]


def test_only_indonesian_phone_numbers_register_so_nobody_pumps_sms_abroad(gateway):
    person = new_person()
    for foreign in ("+1 202 555 0143", "+44 20 7946 0958", "+63 917 123 4567"):
        refused = gateway.post("/api/v1/auth/register", json=dict(person, phone=foreign))
        assert (refused.status_code, list(refused.json()["errors"])) == (400, ["phone"]), foreign
    assert gateway.post("/api/v1/auth/register", json=dict(person, phone="+62 813 1122 3344")).status_code == 201
