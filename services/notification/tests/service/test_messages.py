"""Messages a citizen can verify: every message carries its own check code, the code verifies as genuine
(type, channel, time, nothing personal), a made-up or deleted one does not, the inbox lists what was sent
without any one-time code, and guesses from one address are limited. Real RabbitMQ, PostgreSQL, SMTP sink."""

import re
import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from antre_common.qr import render as render_qr
from antre_common.testing import wait_until
from notification.exceptions import MessageNotFound, RateLimited

CODE = re.compile(r"(?:Kode cek(?: pesan ini:)?|Check code(?: of this message:)?) ([0-9A-Z]{5}-[0-9A-Z]{5})")
OTP = "731904"


def text_of(msg):
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def every_message(bus, world, user):
    """One event of every kind for ``user``, in an order that sends every message type."""
    data = world.booking_data(user=user)
    about = {"booking_id": data["booking_id"], "user_id": user["user_id"]}
    events = [
        ("identity", "otp_requested", dict(world.otp_data(user, "email", OTP))),
        ("identity", "otp_requested", dict(world.otp_data(user, "sms", OTP))),
        ("identity", "user_registered", {"user_id": user["user_id"]}),
        ("scheduling", "booking_created", data),
        ("scheduling", "booking_rescheduled", {**about, "reservation_code": data["reservation_code"],
                                               "old_slot": {"date": "2026-12-01", "start": "09:30"},
                                               "new_slot": {"date": "2026-12-02", "start": "10:00"}}),
        ("scheduling", "reminder_due", {**about, "hours_before": 24}),
        ("scheduling", "ticket_called", {"ticket_id": str(uuid.uuid4()), "ticket_number": "A-007",
                                         "office_code": "JKS", "counter": 2, "booking_id": data["booking_id"]}),
        ("documents", "document_reviewed", {"document_id": str(uuid.uuid4()), "booking_id": data["booking_id"],
                                            "decision": "rejected", "reason": "blurred", "doc_type": "kk"}),
        ("scheduling", "booking_no_show", {**about, "office_code": "JKS"}),
        ("scheduling", "booking_cancelled", {**about, "reservation_code": data["reservation_code"]}),
    ]  # fmt: skip
    for source, event_type, payload in events:
        bus.publish(source, event_type, payload, handler=f"on_{event_type}")
    return data


def sent_codes(smtp_sink, world, user):
    """``{delivery id: (message type, channel, check code)}`` of what reached the user's mailbox and phone."""
    out = {}
    for mail in smtp_sink.messages():
        if mail["To"] == user["email"]:
            [code] = CODE.findall(text_of(mail))
            out[mail["X-Antre-Delivery-Id"]] = (mail["X-Antre-Message-Type"], "email", code)
    for line in world.sms_lines():
        if line["to"] == user["phone"]:
            [code] = CODE.findall(line["text"])
            out[line["X-Antre-Delivery-Id"]] = (line["X-Antre-Message-Type"], "sms", code)
    return out


EXPECTED = {
    ("otp", "email"), ("otp", "sms"), ("welcome", "email"),
    ("booking_confirmed", "email"), ("booking_confirmed", "sms"),
    ("booking_rescheduled", "email"), ("booking_rescheduled", "sms"),
    ("reminder", "email"), ("reminder", "sms"), ("your_turn", "email"), ("your_turn", "sms"),
    ("document_rejected", "email"), ("no_show", "email"),
    ("booking_cancelled", "email"), ("booking_cancelled", "sms"),
}  # fmt: skip


def test_every_message_in_both_languages_carries_a_distinct_code_that_verifies_and_shows_in_the_inbox(
    bus, notification, smtp_sink, world, test_tokens
):
    sent = {}
    for user in (world.CITIZEN, world.VISITOR):  # Bahasa Indonesia, English
        every_message(bus, world, user)
        sent[user["user_id"]] = wait_until(
            lambda u=user: (lambda s: s if len(s) == len(EXPECTED) else None)(sent_codes(smtp_sink, world, u)),
            timeout=30,
            what="every message sent",
        )
        assert {(t, c) for t, c, _ in sent[user["user_id"]].values()} == EXPECTED
    codes = [code for per_user in sent.values() for _, _, code in per_user.values()]
    assert len(set(codes)) == len(codes) == 2 * len(EXPECTED)

    with entrypoint_hook(notification, "verify_message") as verify:
        for n, (message_type, channel, code) in enumerate(v for per_user in sent.values() for v in per_user.values()):
            answer = verify(code.lower().replace("-", " "), client_ip=f"10.0.0.{n}")  # as people type it
            assert answer["genuine"] is True
            assert (answer["type"], answer["channel"]) == (message_type, channel)
            assert answer["sent_at"]
            assert set(answer) == {"genuine", "type", "channel", "sent_at"}  # nothing personal
        for made_up in ("7K3QD-M2XPA", "0000000000", "not a code", "X" * 40):
            with pytest.raises(MessageNotFound):
                verify(made_up, client_ip="10.0.0.99")

    for user in (world.CITIZEN, world.VISITOR):
        with entrypoint_hook(notification, "list_messages", context_data=as_person(test_tokens, user)) as read:
            inbox = read(user["user_id"])
            assert {(m["type"], m["channel"], m["check_code"]) for m in inbox} == set(sent[user["user_id"]].values())
            assert [m["sent_at"] for m in inbox] == sorted((m["sent_at"] for m in inbox), reverse=True)
            for message in inbox:
                assert message["subject"] and message["summary"]
                line = f"{message['subject']} {message['summary']}"
                assert OTP not in line and user["full_name"] not in line and user["email"] not in line
            welcome = next(m for m in inbox if m["type"] == "welcome")
            assert welcome["subject"] == {"id": "Selamat datang di Antre", "en": "Welcome to Antre"}[user["language"]]


def test_the_confirmation_mail_carries_the_qr_of_the_reservation_code(bus, smtp_sink, world):
    data = world.booking_data()
    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "booking_confirmed")
    [qr] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert qr.get_filename() == f"antre-{data['reservation_code']}.png"
    # Drawn from the code the event carries, as scheduling's render_qr draws it (no RPC per mail).
    assert qr.get_payload(decode=True) == render_qr(data["reservation_code"], "png")[1]
    assert "terlampir" in text_of(mail)


def test_a_deleted_account_takes_its_messages_and_codes_with_it(bus, notification, smtp_sink, world, test_tokens):
    user = world.CITIZEN
    bus.publish("identity", "user_registered", {"user_id": user["user_id"]}, handler="on_user_registered")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "welcome")
    [code] = CODE.findall(text_of(mail))
    with entrypoint_hook(notification, "verify_message") as verify:
        assert verify(code, client_ip="10.1.0.1")["genuine"] is True
        with entrypoint_hook(notification, "forget_user") as forget:
            assert forget(user["user_id"]) == 1
            assert forget(user["user_id"]) == 0  # idempotent
        with pytest.raises(MessageNotFound) as deleted:
            verify(code, client_ip="10.1.0.1")
        with pytest.raises(MessageNotFound) as unknown:
            verify("7K3QD-M2XPA", client_ip="10.1.0.1")
    assert str(deleted.value) == str(unknown.value)  # the same answer, word for word
    with entrypoint_hook(notification, "list_messages", context_data=as_person(test_tokens, user)) as read:
        assert read(user["user_id"]) == []


def test_an_account_identity_purged_takes_its_verification_code_message_with_it(
    bus, notification, smtp_sink, world, test_tokens
):
    user = world.CITIZEN
    bus.publish("identity", "otp_requested", world.otp_data(user), handler="on_otp_requested")
    smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "otp")
    with entrypoint_hook(notification, "list_messages", context_data=as_person(test_tokens, user)) as list_messages:
        wait_until(lambda: list_messages(user["user_id"]), 10, what="the code's message in the inbox")
        bus.publish("identity", "account_deleted", {"user_id": user["user_id"]}, handler="on_account_deleted")
        assert list_messages(user["user_id"]) == []


def test_guesses_from_one_address_meet_the_limit_and_other_addresses_do_not(start_notification, peers):
    bus = start_notification(VERIFY_LIMIT=5, VERIFY_WINDOW_SECONDS=60)
    with entrypoint_hook(bus.container, "verify_message") as verify:
        for _ in range(5):
            with pytest.raises(MessageNotFound):
                verify("7K3QD-M2XPA", client_ip="192.0.2.7")
        with pytest.raises(RateLimited) as limited:
            verify("7K3QD-M2XPA", client_ip="192.0.2.7")
        assert 1 <= limited.value.params["retry_after"] <= 60
        with pytest.raises(MessageNotFound):
            verify("7K3QD-M2XPA", client_ip="192.0.2.8")


def test_verification_checks_its_arguments(notification):
    from antre_common.errors import ValidationError

    with entrypoint_hook(notification, "verify_message") as verify:
        for bad in ("", "X" * 41):
            with pytest.raises(ValidationError):
                verify(bad, client_ip="10.2.0.1")


def test_a_message_queued_before_check_codes_existed_gets_a_code_that_verifies(notification, smtp_sink, world, db):
    from sqlalchemy import text

    with db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO delivery (id, event_id, event_type, message_type, channel, user_id, status, attempts,"
                " next_attempt_at, data, created_at, updated_at) VALUES (:id, :event, 'user_registered', 'welcome',"
                " 'email', :user, 'pending', 0, now() - interval '1 second', '{}', now(), now())"
            ),
            {"id": str(uuid.uuid4()), "event": str(uuid.uuid4()), "user": world.CITIZEN["user_id"]},
        )
    with entrypoint_hook(notification, "deliver_due") as deliver_due:
        deliver_due()
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "welcome")
    [code] = CODE.findall(text_of(mail))
    with entrypoint_hook(notification, "verify_message") as verify:
        assert verify(code, client_ip="10.3.0.1")["type"] == "welcome"


def test_a_row_sealed_with_a_retired_key_does_not_hide_the_rest_of_the_inbox(
    bus, notification, smtp_sink, world, db, test_tokens
):
    from sqlalchemy import text

    user = world.CITIZEN
    bus.publish("identity", "user_registered", {"user_id": user["user_id"]}, handler="on_user_registered")
    smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "welcome")
    sent = wait_until(
        lambda: db.connect().execute(text("SELECT count(*) FROM delivery WHERE status = 'sent'")).scalar()
    )
    with db.begin() as conn:  # one row as if its key had left MESSAGE_KEYS since
        conn.execute(text("UPDATE delivery SET check_sealed = 'retired:AAAA', inbox_sealed = 'retired:AAAA' "
                          "WHERE id = (SELECT id FROM delivery WHERE status = 'sent' LIMIT 1)"))  # fmt: skip
    with entrypoint_hook(notification, "list_messages", context_data=as_person(test_tokens, user)) as read:
        inbox = read(user["user_id"])
    assert len(inbox) == sent
    assert sum(m["check_code"] is None and m["subject"] is None for m in inbox) == 1


def as_person(tokens, user):
    """The context data of the gateway's ``GET /me/messages``: the signed-in citizen's access token."""
    return tokens.context({"user_id": user["user_id"], "role": "citizen"})
