"""Messages about the fee (PNBP) of a booking: how to pay and by when, the reminder before the deadline (not
once paid), the receipt, the expiry. Real RabbitMQ, PostgreSQL, SMTP sink; identity and scheduling doubles."""

import uuid
from datetime import UTC, datetime, timedelta

from antre_common.testing import wait_until


def text_of(msg):
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def mails(smtp_sink, user, message_type):
    return [m for m in smtp_sink.messages() if m["To"] == user["email"] and m["X-Antre-Message-Type"] == message_type]


def test_a_booking_with_a_fee_tells_how_to_pay_reminds_and_sends_the_receipt(bus, smtp_sink, world, delivery_log):
    user = world.CITIZEN
    payment = {
        "billing_code": "8" + uuid.uuid4().int.__str__()[:14],
        "amount": 650000,
        "currency": "IDR",
        "expires_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }
    data = world.booking_data(user=user, status="awaiting_payment", payment=payment)
    whose = {k: data[k] for k in ("booking_id", "reservation_code", "user_id")}
    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    [due] = wait_until(lambda: mails(smtp_sink, user, "payment_due"), 20, what="the payment mail")
    body = text_of(due)
    assert payment["billing_code"] in body and "Rp650.000" in body and "Cara membayar" in body
    assert not mails(smtp_sink, user, "booking_confirmed")  # not confirmed before it is paid
    sms = wait_until(lambda: [s for s in world.sms_lines() if s["X-Antre-Message-Type"] == "payment_due"], 20,
                     what="the payment SMS")  # fmt: skip
    assert payment["billing_code"] in sms[0]["text"]

    bus.publish("payment", "payment_reminder_due", {**whose, **payment}, handler="on_payment_reminder_due")
    wait_until(lambda: mails(smtp_sink, user, "payment_reminder"), 20, what="the reminder")
    facts = {k: payment[k] for k in ("billing_code", "amount", "currency")}
    receipt = {**whose, **facts, "receipt_number": "ANT261201K7QDM2XP", "paid_at": datetime.now(UTC).isoformat()}
    bus.publish("payment", "payment_received", receipt, handler="on_payment_received")
    [sent] = wait_until(lambda: mails(smtp_sink, user, "payment_receipt"), 20, what="the receipt")
    assert "ANT261201K7QDM2XP" in text_of(sent)

    # A reminder that arrives after the payment is not sent.
    bus.publish("payment", "payment_reminder_due", {**whose, **payment}, handler="on_payment_reminder_due")
    wait_until(
        lambda: [r for r in delivery_log.rows(message_type="payment_reminder") if r["status"] == "skipped"],
        20,
        what="the late reminder skipped",
    )
    assert len(mails(smtp_sink, user, "payment_reminder")) == 1


def test_an_expired_booking_is_told(bus, smtp_sink, world):
    user = world.CITIZEN
    data = world.booking_data(user=user)
    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    expired = {k: data[k] for k in ("booking_id", "reservation_code", "user_id", "office_code", "date")}
    bus.publish("scheduling", "booking_expired", {**expired, "reason": "unpaid"}, handler="on_booking_expired")
    [mail] = wait_until(lambda: mails(smtp_sink, user, "booking_expired"), 20, what="the expiry mail")
    assert data["reservation_code"] in text_of(mail)
