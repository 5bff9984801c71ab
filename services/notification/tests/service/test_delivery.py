"""Events in, messages out through a real SMTP server and the SMS outbox, every outcome in the delivery log."""

import uuid

from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from antre_common.testing import wait_until


def body(msg):
    """The text of a mail, decoded (quoted-printable or base64 on the wire)."""
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")  # the confirmation has a QR too
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def test_booking_created_mails_the_confirmation_and_texts_it(bus, smtp_sink, delivery_log, world):
    data = world.booking_data()
    envelope = bus.publish("scheduling", "booking_created", data, handler="on_booking_created")

    [mail] = smtp_sink.wait_for(lambda m: data["reservation_code"] in m["Subject"])
    assert mail["To"] == world.CITIZEN["email"]
    assert mail["X-Antre-Message-Type"] == "booking_confirmed"
    assert mail["Content-Language"] == "id"
    text = body(mail)
    for essential in (
        data["reservation_code"],
        world.OFFICE["name"],
        world.OFFICE["address"],
        "Selasa, 01 Desember 2026",
        "09:30 WIB",
        "Kartu Keluarga",
        "Akta kelahiran",
        "e-KTP asli",
        "tidak pernah meminta uang atau data pribadi melalui WhatsApp atau telepon",
        world.CITIZEN["nik_masked"],
    ):
        assert essential in text, essential
    assert world.NIK not in text

    [sms] = wait_until(world.sms_lines, what="SMS in the outbox")
    assert sms["to"] == world.CITIZEN["phone"]
    assert data["reservation_code"] in sms["text"]
    assert "WhatsApp" in sms["text"] and world.CITIZEN["nik_masked"] in sms["text"]

    rows = wait_until(
        lambda: [r for r in delivery_log.rows(event_id=envelope["event_id"]) if r["status"] == "sent"] or None
    )
    rows = delivery_log.rows(event_id=envelope["event_id"])
    assert {(r["message_type"], r["channel"], r["status"]) for r in rows} == {
        ("booking_confirmed", "email", "sent"),
        ("booking_confirmed", "sms", "sent"),
    }
    assert all(r["attempts"] == 1 and r["provider_id"] and r["data"] is None for r in rows)
    email_row = next(r for r in rows if r["channel"] == "email")
    assert email_row["provider_id"] == mail["Message-ID"]


def test_otp_goes_only_to_the_channel_asked_for_in_the_persons_language(bus, smtp_sink, delivery_log, world):
    bus.publish(
        "identity", "otp_requested", world.otp_data(world.VISITOR, "email", "731904"), handler="on_otp_requested"
    )
    [mail] = smtp_sink.wait_for(lambda m: m["To"] == world.VISITOR["email"])
    assert mail["Subject"] == "Your Antre verification code"
    assert "731904" in body(mail) and "10 minutes" in body(mail)
    assert "never asks for money or personal data via WhatsApp or phone" in body(mail)

    envelope = bus.publish("identity", "otp_requested", world.otp_data(world.CITIZEN, "sms", "118822"))
    [sms] = wait_until(world.sms_lines, what="OTP SMS")
    assert sms["to"] == world.CITIZEN["phone"] and "118822" in sms["text"]
    rows = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))
    assert [r["channel"] for r in rows] == ["sms"]
    assert len(smtp_sink.messages()) == 1  # the SMS code did not also go by mail


def retry_pass(container):
    """One pass of the retry timer, run to its end (no waiting for the next tick)."""
    with entrypoint_hook(container, "deliver_due") as deliver_due:
        return deliver_due()


def test_a_redelivered_event_sends_once(bus, smtp_sink, delivery_log, world):
    data = world.booking_data()
    envelope = bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    smtp_sink.wait_for(lambda m: data["reservation_code"] in m["Subject"])
    with entrypoint_waiter(bus.container, "on_booking_created"):
        bus.dispatch("scheduling", "booking_created", envelope)  # the same event_id again: handled by now
    retry_pass(bus.container)  # and the retry timer finds nothing to send again
    assert len(smtp_sink.wait_for(lambda m: data["reservation_code"] in m["Subject"])) == 1
    assert len(world.sms_lines()) == 1
    assert len(delivery_log.rows(event_id=envelope["event_id"])) == 2


def test_with_smtp_stopped_the_mail_is_retried_and_delivered_exactly_once(bus, smtp_sink, delivery_log, world):
    smtp_sink.stop()
    data = world.booking_data(user=world.VISITOR)
    envelope = bus.publish("scheduling", "booking_created", data, handler="on_booking_created")

    def retried():
        rows = delivery_log.rows(event_id=envelope["event_id"], channel="email")
        return rows and rows[0]["attempts"] >= 3 and rows[0]["status"] in ("pending", "sending") and rows[0]

    row = wait_until(retried, what="three failed attempts")
    assert row["last_error"].startswith("smtp unreachable")
    assert row["data"] is not None  # kept until the message is out
    # The SMS went out meanwhile: one channel's outage does not hold the other.
    assert delivery_log.rows(event_id=envelope["event_id"], channel="sms")[0]["status"] == "sent"

    smtp_sink.start()
    sent = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], channel="email", status="sent"))
    retry_pass(bus.container)  # more timer ticks: nothing may send it again
    retry_pass(bus.container)
    mails = smtp_sink.wait_for(lambda m: data["reservation_code"] in m["Subject"])
    assert len(mails) == 1
    assert sent[0]["attempts"] >= 4 and sent[0]["data"] is None
    assert "Booking " + data["reservation_code"] + " confirmed" == mails[0]["Subject"]


def test_after_the_last_attempt_the_delivery_is_failed_and_forgets_its_data(
    start_notification, peers, smtp_sink, delivery_log, world
):
    smtp_sink.stop()
    bus = start_notification(RETRY_MAX_ATTEMPTS=2, RETRY_BASE_SECONDS=0.1)
    envelope = bus.publish("identity", "otp_requested", world.otp_data(), handler="on_otp_requested")
    [row] = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="failed"))
    assert row["attempts"] == 2
    assert row["last_error"].startswith("gave up after 2 attempts: smtp unreachable")
    assert row["data"] is None  # the OTP is gone from the database


def test_an_expired_code_is_not_sent_late(bus, smtp_sink, delivery_log, world):
    data = dict(world.otp_data(), expires_at="2020-01-01T00:00:00+00:00")
    envelope = bus.publish("identity", "otp_requested", data, handler="on_otp_requested")
    [row] = delivery_log.rows(event_id=envelope["event_id"])
    assert (row["status"], row["last_error"]) == ("failed", "otp expired before it could be sent")
    assert smtp_sink.messages() == []


def test_identity_down_is_retried_until_it_answers(start_notification, start_peer, smtp_sink, delivery_log, world):
    bus = start_notification(RPC_TIMEOUT_SECONDS=0.5)
    start_peer("scheduling")  # identity is not running
    envelope = bus.publish("identity", "user_registered", {"user_id": world.CITIZEN["user_id"]})
    row = wait_until(lambda: [r for r in delivery_log.rows(event_id=envelope["event_id"]) if r["attempts"] >= 2])[0]
    assert row["status"] in ("pending", "sending")
    assert row["last_error"] == "identity unavailable"

    start_peer("identity")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "welcome")
    assert mail["Subject"] == "Selamat datang di Antre"
    assert wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))


def test_a_rejected_document_waits_for_its_booking_then_tells_what_to_do(bus, smtp_sink, delivery_log, world):
    data = world.booking_data(user=world.VISITOR)
    review = {
        "document_id": str(uuid.uuid4()),
        "booking_id": data["booking_id"],
        "decision": "rejected",
        "reason": "photo is blurred",
        "doc_type": "kk",
    }
    # The review arrives before the booking it belongs to: nobody to write to yet, so it waits.
    envelope = bus.publish("documents", "document_reviewed", review, handler="on_document_reviewed")
    [row] = delivery_log.rows(event_id=envelope["event_id"])
    assert (row["status"], row["last_error"]) == ("pending", "booking not known yet")

    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "document_rejected")
    assert mail["To"] == world.VISITOR["email"]
    text = body(mail)
    assert "photo is blurred" in text and data["reservation_code"] in text and "upload a correct" in text


def test_approved_documents_and_walk_in_tickets_send_nothing(bus, delivery_log, world):
    approved = {"document_id": str(uuid.uuid4()), "booking_id": str(uuid.uuid4()), "decision": "approved"}
    a = bus.publish("documents", "document_reviewed", approved, handler="on_document_reviewed")
    walk_in = {"ticket_id": str(uuid.uuid4()), "ticket_number": "B-017", "office_code": "JKS", "counter": 3}
    b = bus.publish("scheduling", "ticket_called", walk_in, handler="on_ticket_called")
    assert delivery_log.rows(event_id=a["event_id"]) == []
    assert delivery_log.rows(event_id=b["event_id"]) == []


def test_your_turn_and_a_reminder_reach_the_citizen(bus, smtp_sink, delivery_log, world):
    data = world.booking_data(user=world.VISITOR, start="2026-12-01T02:30:00+00:00")
    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    called = {
        "ticket_id": str(uuid.uuid4()),
        "ticket_number": "A-042",
        "office_code": "JKS",
        "counter": 7,
        "booking_id": data["booking_id"],
    }
    bus.publish("scheduling", "ticket_called", called, handler="on_ticket_called")
    reminder = {"booking_id": data["booking_id"], "user_id": world.VISITOR["user_id"], "hours_before": 24}
    bus.publish("scheduling", "reminder_due", reminder, handler="on_reminder_due")

    [turn] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "your_turn")
    assert turn["Subject"] == "Your turn: number A-042 to counter 7"
    [remind] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "reminder")
    assert data["reservation_code"] in remind["Subject"]
    assert "09:30 WIB" in body(remind)  # 02:30 UTC shown in the office's time
    texts = [line["text"] for line in world.sms_lines()]
    assert any("counter 7" in t for t in texts)


def test_a_reminder_for_a_cancelled_booking_is_not_sent(bus, smtp_sink, delivery_log, world):
    data = world.booking_data()
    bus.publish("scheduling", "booking_created", data, handler="on_booking_created")
    cancel = {k: data[k] for k in ("booking_id", "reservation_code", "user_id")} | {"reason": "cancelled by citizen"}
    bus.publish("scheduling", "booking_cancelled", cancel, handler="on_booking_cancelled")
    reminder = {"booking_id": data["booking_id"], "user_id": data["user_id"], "hours_before": 24}
    envelope = bus.publish("scheduling", "reminder_due", reminder, handler="on_reminder_due")
    rows = delivery_log.rows(event_id=envelope["event_id"])
    assert {r["status"] for r in rows} == {"skipped"}
    assert smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "booking_cancelled")
    assert not [m for m in smtp_sink.messages() if m["X-Antre-Message-Type"] == "reminder"]


def test_an_invalid_event_is_dropped_without_a_delivery(bus, delivery_log, world):
    bad = {"user_id": "not-a-uuid", "channel": "pigeon", "otp": "12"}
    envelope = bus.publish("identity", "otp_requested", bad, handler="on_otp_requested")
    assert delivery_log.rows(event_id=envelope["event_id"]) == []


def test_a_dependent_with_an_account_of_their_own_is_told_to_the_holder_by_mail(bus, smtp_sink, delivery_log, world):
    data = {"person_id": "b0b00000-0000-4000-8000-000000000001", "holder_id": world.CITIZEN["user_id"]}
    envelope = bus.publish("identity", "dependent_registered", data, handler="on_dependent_registered")
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Message-Type"] == "dependent_registered")
    assert mail["To"] == world.CITIZEN["email"]
    assert "akun Antre sendiri" in mail["Subject"]
    rows = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))
    assert [r["channel"] for r in rows] == ["email"]


def test_a_one_time_code_is_opened_only_to_send_it_and_never_written_in_the_clear(bus, smtp_sink, delivery_log, world):
    """The code arrives sealed for notification (identity cannot open it again); it is opened in memory to
    render the message, and neither the delivery row nor the WAL behind it ever holds it (issue 17)."""
    from antre_common.sealed_box import SealingKey, new_pair
    from antre_common.testing import wal_position, wal_since

    with delivery_log.engine.connect() as conn:
        start = wal_position(conn)
    envelope = bus.publish("identity", "otp_requested", world.otp_data(otp="739104"), handler="on_otp_requested")
    [row] = wait_until(lambda: delivery_log.rows(event_id=envelope["event_id"], status="sent"))
    [mail] = smtp_sink.wait_for(lambda m: m["X-Antre-Event-Id"] == envelope["event_id"])
    assert "739104" in body(mail)
    assert "otp" not in (row["data"] or {})  # sealed while pending, dropped once sent
    assert "739104" not in str(delivery_log.rows())
    with delivery_log.engine.connect() as conn:
        assert b"739104" not in wal_since(conn, start)

    # A box sealed with another key (or for another account) does not open: failed at once, nothing sent.
    _, stranger = new_pair("o1")
    forged = world.otp_data(otp="555123")
    other = world.otp_data(world.VISITOR, otp="555124")  # sealed for another account
    forged["otp_sealed"] = SealingKey(stranger, "OTP_PUBLIC_KEY").seal("555123", "otp:whatever")
    for data in (forged, dict(world.otp_data(), otp_sealed=other["otp_sealed"])):
        sent = bus.publish("identity", "otp_requested", data, handler="on_otp_requested")
        [failed] = wait_until(lambda e=sent: delivery_log.rows(event_id=e["event_id"], status="failed"))
        assert failed["last_error"] == "otp box does not open"
