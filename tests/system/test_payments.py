"""Fees (PNBP) through the gateway with the development bank: a booking with a fee waits for its payment,
the bank pays it and notifies (signed), the booking is confirmed with a receipt; bad notifications are
refused with their codes; the operator's channel switch, refund and reconciliation."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import requests

from antre_common.testing import wait_until

from .test_scheduling import first_slot
from .tokens import bearer, citizen, staff

OFFICE = "DPS"
SERVICE = "paspor_elektronik"


def book(stack, gateway, skip=0):
    me = citizen()
    auth = bearer(stack, me)
    slot = first_slot(gateway, office=OFFICE, service=SERVICE, skip=skip)
    created = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE}, headers=auth)
    assert created.status_code == 201, created.text
    return created.json(), auth


def signed(stack, doc):
    secret = stack.env()["PAYMENT_CHANNEL_SECRETS"].split(",")[0].split(":", 1)[1]
    body = json.dumps(doc).encode()
    return body, {
        "Content-Type": "application/json",
        "X-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def notify(stack, gateway, doc):
    body, headers = signed(stack, doc)
    return gateway.post("/api/v1/payments/notifications", data=body, headers=headers)


def test_the_catalogue_shows_the_fee_of_a_service_paid_before_the_visit(gateway):
    services = {s["code"]: s for s in gateway.get("/api/v1/services").json()}
    assert services[SERVICE]["fee"]["amount"] == 650000 and services[SERVICE]["fee"]["currency"] == "IDR"
    assert "PP 45/2024" in services[SERVICE]["fee"]["basis"]
    assert services["paspor_baru"]["fee"] is None  # paid at the office, booked as before


def test_a_booking_with_a_fee_is_paid_at_the_development_bank_and_confirmed(stack, gateway):
    booking, auth = book(stack, gateway)
    assert booking["status"] == "awaiting_payment"
    payment = booking["payment"]
    assert (payment["amount"], payment["currency"]) == (650000, "IDR")
    expires = datetime.fromisoformat(payment["expires_at"])
    assert 7100 < (expires - datetime.now(UTC)).total_seconds() <= 7200  # held two hours
    path = f"/api/v1/bookings/{booking['reservation_code']}/payment"
    bill = gateway.get(path, headers=auth).json()
    assert (bill["status"], bill["billing_code"]) == ("pending", payment["billing_code"])
    assert gateway.get(path, headers=bearer(stack, citizen())).json()["code"] == "BOOKING_NOT_FOUND"

    # The bank notifies three times (a channel that repeats itself): one payment, one receipt.
    paid = requests.post(
        f"{stack.config.bank_url}/pay", json={"billing_code": payment["billing_code"], "repeat": 3}, timeout=30
    )
    assert paid.status_code == 200 and paid.json()["notified"] == 204, paid.text
    confirmed = wait_until(
        lambda: (
            (b := gateway.get(f"/api/v1/bookings/{booking['reservation_code']}", headers=auth).json())["status"]
            == "confirmed"
            and b
        ),
        20,
        what="the booking confirmed",
    )
    bill = gateway.get(path, headers=auth).json()
    assert bill["status"] == "paid" and confirmed["payment"]["receipt_number"] == bill["receipt_number"]
    sent = requests.get(f"{stack.config.bank_url}/payments", timeout=5).json()["sent"]
    assert [s["status"] for s in sent if s["transaction_id"] == paid.json()["transaction_id"]] == [204, 204, 204]
    again = requests.post(f"{stack.config.bank_url}/pay", json={"billing_code": payment["billing_code"]}, timeout=30)
    assert again.status_code == 200  # the bank took it twice: Antre records the second and gives it back
    wait_until(lambda: gateway.get(path, headers=auth).json()["status"] == "paid", 5, what="still paid")

    # The day's reconciliation: every settled transaction is one of ours, amounts equal.
    admin = bearer(stack, staff("admin", None))
    report = gateway.get(
        "/api/v1/admin/payments/reconciliation", params={"date": datetime.now(UTC).date().isoformat()}, headers=admin
    )
    assert report.status_code == 200, report.text
    assert report.json()["balanced"] is True and report.json()["refunded"] >= 650000


def test_bad_notifications_through_the_gateway_are_refused_with_their_codes(stack, gateway):
    booking, _ = book(stack, gateway, skip=1)
    code = booking["payment"]["billing_code"]
    now = int(time.time())
    doc = {"transaction_id": "SYS-BAD-1", "billing_code": code, "amount": 650000, "currency": "IDR",
           "paid_at": datetime.now(UTC).isoformat(), "timestamp": now}  # fmt: skip
    url = "/api/v1/payments/notifications"
    body, headers = signed(stack, doc)
    missing = gateway.post(url, data=body, headers={"Content-Type": "application/json"})
    assert (missing.status_code, missing.json()["code"]) == (401, "PAYMENT_SIGNATURE_INVALID")
    forged = gateway.post(url, data=body, headers=dict(headers, **{"X-Signature": "sha256=" + "ab" * 32}))
    assert (forged.status_code, forged.json()["code"]) == (401, "PAYMENT_SIGNATURE_INVALID")
    old = notify(stack, gateway, dict(doc, timestamp=now - 3600))
    assert (old.status_code, old.json()["code"]) == (401, "PAYMENT_TIMESTAMP_OUT_OF_WINDOW")
    wrong = notify(stack, gateway, dict(doc, amount=350000))
    assert (wrong.status_code, wrong.json()["code"]) == (422, "PAYMENT_AMOUNT_MISMATCH")
    unknown = notify(stack, gateway, dict(doc, billing_code="123456789012345"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "BILL_NOT_FOUND")
    assert notify(stack, gateway, doc).status_code == 204
    assert notify(stack, gateway, doc).status_code == 204  # repeated: nothing changes
    clash = notify(stack, gateway, dict(doc, amount=650001))
    assert (clash.status_code, clash.json()["code"]) == (409, "PAYMENT_TRANSACTION_CONFLICT")

    admin = bearer(stack, staff("admin", None))
    refund = f"/api/v1/admin/payments/{code}/refund"
    assert gateway.post(refund, json={"reason": "not_served"}, headers=admin).json()["status"] == "refunded"
    twice = gateway.post(refund, json={"reason": "not_served"}, headers=admin)
    assert (twice.status_code, twice.json()["code"]) == (409, "ALREADY_REFUNDED")
    officer = bearer(stack, staff("officer", OFFICE))
    assert gateway.post(refund, json={"reason": "not_served"}, headers=officer).status_code == 403


def test_the_operator_reports_the_channel_down_and_the_bank_can_be_down(stack, gateway):
    admin = bearer(stack, staff("admin", None))
    down = gateway.put(
        "/api/v1/admin/payment-channel", json={"state": "down", "reason": "bank app down"}, headers=admin
    )
    assert down.status_code == 200 and down.json()["state"] == "down"
    up = gateway.put("/api/v1/admin/payment-channel", json={"state": "up"}, headers=admin)
    assert up.json()["state"] == "up" and up.json()["outages"][0]["reason"] == "bank app down"
    bank = stack.config.bank_url
    requests.post(f"{bank}/control", json={"down": True}, timeout=5)
    try:
        booking, _ = book(stack, gateway, skip=2)
        refused = requests.post(f"{bank}/pay", json={"billing_code": booking["payment"]["billing_code"]}, timeout=10)
        assert refused.status_code == 503
    finally:
        requests.post(f"{bank}/control", json={"down": False}, timeout=5)
