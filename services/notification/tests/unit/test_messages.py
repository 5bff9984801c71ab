"""Which events become which messages, channel choice, backoff, and event validation."""

import uuid
from datetime import timedelta

import pytest

from notification.messages import EVENT_MESSAGES, backoff, booking_facts, choose, new_slot, old_slot, plan
from notification.schemas import EVENT_DATA, event_errors

USER = str(uuid.uuid4())
BOOKING = str(uuid.uuid4())
CONTACT = {"email": "a@example.id", "phone": "+62811"}


def test_every_subscribed_event_has_a_schema():
    # Each becomes a message but account_deleted, which deletes the account's messages (intake.accept_event).
    assert {t for _, t in EVENT_MESSAGES} | {"account_deleted"} == set(EVENT_DATA)


def test_otp_goes_only_to_the_channel_in_the_event():
    planned = plan("otp_requested", {"user_id": USER, "channel": "sms", "otp": "123456"})
    assert (planned.message_type, planned.channels, planned.user_id) == ("otp", ("sms",), USER)


def test_confirmation_goes_by_mail_and_sms_a_rejected_document_by_mail():
    assert plan("booking_created", {"user_id": USER, "booking_id": BOOKING}).channels == ("email", "sms")
    rejected = plan("document_reviewed", {"booking_id": BOOKING, "decision": "rejected"})
    assert (rejected.message_type, rejected.channels, rejected.user_id) == ("document_rejected", ("email",), None)


def test_events_that_ask_for_no_message():
    assert plan("document_reviewed", {"booking_id": BOOKING, "decision": "approved"}) is None
    assert plan("ticket_called", {"ticket_id": "t", "ticket_number": "B-1", "counter": 2}) is None  # a walk-in
    assert plan("ticket_issued", {}) is None


def test_channel_choice_respects_missing_addresses_and_preferences():
    assert choose("booking_confirmed", "sms", {"email": "a@example.id"}) == "no_address"
    assert choose("booking_confirmed", "sms", dict(CONTACT, channels=["email"])) == "opted_out"
    assert choose("booking_confirmed", "email", dict(CONTACT, channels=["email"])) is None
    assert choose("otp", "sms", dict(CONTACT, channels=["email"])) is None  # the person asked for this one


def test_backoff_doubles_is_capped_and_jittered():
    assert backoff(1, 5, 600, rand=lambda: 0.5) == timedelta(seconds=5)
    assert backoff(4, 5, 600, rand=lambda: 0.5) == timedelta(seconds=40)
    assert backoff(30, 5, 600, rand=lambda: 0.5) == timedelta(seconds=600)
    assert backoff(1, 5, 600, rand=lambda: 0.0) == timedelta(seconds=4)
    assert backoff(1, 5, 600, rand=lambda: 1.0) == timedelta(seconds=6)


def test_slots_of_a_reschedule_in_the_shapes_we_accept():
    nested = {
        "old_slot": {"date": "2026-12-01", "start": "09:00"},
        "new_slot": {"date": "2026-12-02", "start": "10:00"},
    }
    assert old_slot(nested) == {"date": "2026-12-01", "start": "09:00"}
    assert new_slot(nested) == {"date": "2026-12-02", "start": "10:00"}
    iso = {"old": "2026-12-01T02:00:00+00:00", "new": "2026-12-02T03:00:00+00:00"}
    assert new_slot(iso) == {"date": None, "start": "2026-12-02T03:00:00+00:00"}
    flat = {"old_date": "2026-12-01", "old_start": "09:00", "new_date": "2026-12-02", "new_start": "10:00"}
    assert (old_slot(flat)["start"], new_slot(flat)["start"]) == ("09:00", "10:00")


def test_booking_facts_carry_no_personal_data():
    facts = booking_facts(
        "booking_created",
        {"booking_id": BOOKING, "reservation_code": "ANT-1", "user_id": USER, "office_code": "JKS",
         "service_code": "P", "date": "2026-12-01", "start": "09:00", "full_name": "someone"},
    )  # fmt: skip
    assert "full_name" not in facts and facts["status"] == "confirmed"
    assert booking_facts("booking_cancelled", {"booking_id": BOOKING})["status"] == "cancelled"
    assert booking_facts("user_registered", {"user_id": USER}) is None


def envelope(event_type, data):
    return {"event_id": str(uuid.uuid4()), "type": event_type, "occurred_at": "2026-11-27T03:00:00+00:00",
            "request_id": None, "data": data}  # fmt: skip


def test_a_valid_event_has_no_errors_and_may_carry_more_fields():
    data = {"user_id": USER, "channel": "email", "purpose": "verify", "otp_sealed": "o1:" + "A" * 88,
            "expires_at": "2026-11-27T03:10:00+00:00", "added_later": True}  # fmt: skip
    assert event_errors(envelope("otp_requested", data)) == {}


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("otp_requested", {"user_id": USER, "channel": "pigeon", "otp_sealed": "o1:" + "A" * 88}, "channel"),
        ("otp_requested", {"user_id": "nope", "channel": "sms", "otp_sealed": "o1:" + "A" * 88}, "user_id"),
        ("booking_created", {"booking_id": BOOKING, "user_id": USER}, "reservation_code"),
        ("document_reviewed", {"document_id": str(uuid.uuid4()), "decision": "rejected"}, "booking_id"),
    ],
)
def test_an_invalid_event_names_the_field_but_not_the_value(event_type, data, field):
    errors = event_errors(envelope(event_type, data))
    assert field in errors
    assert "pigeon" not in str(errors) and "nope" not in str(errors)


def test_an_envelope_without_event_id_is_rejected():
    env = envelope("user_registered", {"user_id": USER})
    del env["event_id"]
    assert "envelope.event_id" in event_errors(env)
