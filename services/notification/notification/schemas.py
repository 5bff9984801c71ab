"""What crosses notification's boundary, validated on the way in.

Event data is checked for the fields notification needs; fields it does not know are allowed, because
EVENTS.md lists what events carry "at least" and publishers may add more without breaking consumers.
"""

from marshmallow import fields, validate

from antre_common.envelope import EnvelopeSchema  # noqa: F401 - the envelope of every event
from antre_common.schemas import Lenient, Strict
from notification.checkcodes import MAX_INPUT


class UserRegistered(Lenient):
    user_id = fields.UUID(required=True)


class AccountDeleted(Lenient):
    """An account identity deleted (a registration never verified): its messages go, not a message to send."""

    user_id = fields.UUID(required=True)


class DependentRegistered(Lenient):
    """To the holder (``holder_id``): the family member they booked for registered an account of their own."""

    person_id = fields.UUID(required=True)
    holder_id = fields.UUID(required=True)


class OtpRequested(Lenient):
    user_id = fields.UUID(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(["email", "sms"]))
    purpose = fields.String(load_default=None)
    otp_sealed = fields.String(required=True, validate=validate.Length(min=40, max=200))  # opened at send time
    expires_at = fields.AwareDateTime(load_default=None)


class BookingCreated(Lenient):
    booking_id = fields.UUID(required=True)
    reservation_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    user_id = fields.UUID(required=True)
    office_code = fields.String(required=True)
    service_code = fields.String(required=True)
    date = fields.Date(required=True)
    start = fields.String(required=True)


class BookingCancelled(Lenient):
    booking_id = fields.UUID(required=True)
    reservation_code = fields.String(required=True)
    user_id = fields.UUID(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class BookingRescheduled(Lenient):
    booking_id = fields.UUID(required=True)
    reservation_code = fields.String(required=True)
    user_id = fields.UUID(required=True)


class ReminderDue(Lenient):
    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    hours_before = fields.Integer(load_default=None)


class TicketCalled(Lenient):
    ticket_id = fields.UUID(required=True)
    ticket_number = fields.Raw(required=True)  # "A-042" or a number: shown as given
    office_code = fields.String(required=True)
    counter = fields.Raw(required=True)
    user_id = fields.UUID(load_default=None, allow_none=True)
    booking_id = fields.UUID(load_default=None, allow_none=True)


class BookingNoShow(Lenient):
    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    office_code = fields.String(load_default=None)


class BookingDisrupted(Lenient):
    booking_id = fields.UUID(required=True)
    reservation_code = fields.String(required=True)
    user_id = fields.UUID(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class WaitlistOffer(Lenient):
    waitlist_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    office_code = fields.String(required=True)
    date = fields.String(required=True)
    start = fields.String(load_default=None)
    expires_at = fields.String(required=True)


class DocumentReviewed(Lenient):
    document_id = fields.UUID(required=True)
    booking_id = fields.UUID(required=True)
    decision = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class BookingExpired(Lenient):
    booking_id = fields.UUID(required=True)
    reservation_code = fields.String(required=True)
    user_id = fields.UUID(required=True)


class PaymentReminderDue(Lenient):
    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    billing_code = fields.String(required=True)
    amount = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)


class PaymentReceived(Lenient):
    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    amount = fields.Integer(required=True)
    receipt_number = fields.String(required=True)


class PaymentRefunded(Lenient):
    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    amount = fields.Integer(required=True)
    reason = fields.String(load_default=None)


EVENT_DATA = {
    "account_deleted": AccountDeleted,
    "user_registered": UserRegistered,
    "otp_requested": OtpRequested,
    "dependent_registered": DependentRegistered,
    "booking_created": BookingCreated,
    "booking_cancelled": BookingCancelled,
    "booking_rescheduled": BookingRescheduled,
    "reminder_due": ReminderDue,
    "ticket_called": TicketCalled,
    "booking_no_show": BookingNoShow,
    "booking_disrupted": BookingDisrupted,
    "document_reviewed": DocumentReviewed,
    "booking_expired": BookingExpired,
    "payment_reminder_due": PaymentReminderDue,
    "payment_received": PaymentReceived,
    "payment_refunded": PaymentRefunded,
    "waitlist_offer": WaitlistOffer,
}


def event_errors(envelope):
    """Field errors of an event (envelope and data) as {field: messages}; empty when it is usable.

    Only field names and marshmallow's messages: never the values, which may be personal data or an OTP."""
    errors = EnvelopeSchema().validate(envelope)
    if errors:
        return {f"envelope.{k}": v for k, v in errors.items()}
    schema = EVENT_DATA.get(envelope["type"])
    if schema is None:
        return {"type": ["not an event notification handles"]}
    return schema().validate(envelope["data"])


# -- RPC arguments (notification's own callers: the gateway) ------------------------------------------------


class VerifyArgs(Strict):
    # Any text up to MAX_INPUT: a malformed code is answered like an unknown one, never with a different error.
    code = fields.String(required=True, validate=validate.Length(min=1, max=MAX_INPUT))
    client_ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class UserArgs(Strict):
    user_id = fields.UUID(required=True)
