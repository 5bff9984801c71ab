"""What crosses scheduling's boundary, validated on the way in (it has more callers than the gateway)."""

from marshmallow import ValidationError, fields, validate, validates

from antre_common.schemas import Lenient, Strict, UtcDateTime
from scheduling.capacity import validate_opening_hours
from scheduling.operations import PRIORITIES

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")


class AvailabilityQuery(Strict):
    office_code = fields.String(required=True, validate=CODE)
    service_code = fields.String(required=True, validate=CODE)
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)


class Closure(Strict):
    date = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class CapacityChange(Strict):
    counters = fields.Integer(validate=validate.Range(min=1, max=100))
    slot_minutes = fields.Integer(validate=validate.OneOf([15, 20, 30, 45, 60, 90, 120]))
    online_share = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    opening_hours = fields.Dict(
        keys=fields.String(), values=fields.List(fields.List(fields.String(), validate=validate.Length(equal=2)))
    )
    closures = fields.List(fields.Nested(Closure))

    @validates("opening_hours")
    def check_hours(self, value, **kwargs):
        errors = validate_opening_hours(value)
        if errors:
            raise ValidationError(errors)


class NewBooking(Strict):
    user_id = fields.UUID(required=True)
    person_ref = fields.String(required=True, validate=validate.Length(min=8, max=64))
    person_id = fields.UUID(load_default=None, allow_none=True)  # None: the holder (user_id) themselves
    slot_id = fields.UUID(required=True)
    service_code = fields.String(required=True, validate=CODE)
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))
    # Declared by the citizen (lansia is also derived from the holder's birth date on the staff list).
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    admission = fields.UUID(load_default=None, allow_none=True)  # a waiting room's admission (releases.py)


class BookingAction(Strict):
    reservation_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    user_id = fields.UUID(load_default=None, allow_none=True)  # None: staff acting for the office


class Reschedule(BookingAction):
    slot_id = fields.UUID(required=True)


class Cancel(BookingAction):
    reason = fields.String(load_default="citizen", validate=validate.OneOf(["citizen", "office"]))


class WalkIn(Strict):
    service_code = fields.String(required=True, validate=CODE)
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    user_id = fields.UUID(load_default=None, allow_none=True)  # the staff member (keys Idempotency-Key)
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class TicketStep(Strict):
    ticket_id = fields.UUID(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["start", "complete", "no_show"]))
    office_code = fields.String(load_default=None, allow_none=True)  # the staff's office; None for admins


class PaymentReceived(Lenient):
    """payment's ``payment_received``."""

    booking_id = fields.String(required=True)
    receipt_number = fields.String(required=True)


class BillExpired(Lenient):
    booking_id = fields.String(required=True)


class BillExtended(Lenient):
    booking_id = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class CheckIn(Strict):
    reservation_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    # The officer compared the KTP with the holder the staff list shows: check-in binds the person.
    identity_confirmed = fields.Boolean(required=True)
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    user_id = fields.UUID(load_default=None, allow_none=True)  # the officer, for the audit trail


class TicketMove(Strict):
    ticket_id = fields.UUID(required=True)
    action = fields.String(required=True, validate=validate.OneOf(["recall", "transfer", "requeue"]))
    office_code = fields.String(load_default=None, allow_none=True)  # the staff's office; None for admins
    counter = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    service_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    user_id = fields.UUID(load_default=None, allow_none=True)  # the officer (audit, Idempotency-Key)
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class NewDisruption(Strict):
    starts_at = UtcDateTime(required=True, data_key="from")
    ends_at = UtcDateTime(required=True, data_key="to")
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))
    user_id = fields.UUID(load_default=None, allow_none=True)  # the supervisor


class OfficeDay(Strict):
    office_code = fields.String(required=True, validate=CODE)
    date = fields.Date(load_default=None, allow_none=True)  # office-local; default today


class NewRelease(Strict):
    office_code = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    opens_at = UtcDateTime(required=True)


class QueueRequest(Strict):
    release_id = fields.String(required=True, validate=validate.Length(max=64))
    user_id = fields.UUID(required=True)


class WaitlistJoin(Strict):
    user_id = fields.UUID(required=True)
    person_ref = fields.String(required=True, validate=validate.Length(min=8, max=64))
    office_code = fields.String(required=True, validate=CODE)
    service_code = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)


class WaitlistAction(Strict):
    waitlist_id = fields.String(required=True, validate=validate.Length(max=64))
    user_id = fields.UUID(required=True)


class DependentRegistered(Lenient):
    """identity's ``dependent_registered``: a dependent's own account (id = their person_id) takes over."""

    person_id = fields.UUID(required=True)
    holder_id = fields.UUID(required=True)
