"""What crosses scheduling's boundary, validated on the way in (it has more callers than the gateway)."""

from marshmallow import ValidationError, fields, validate, validates

from antre_common.schemas import Lenient, Strict
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


class DependentRegistered(Lenient):
    """identity's ``dependent_registered``: a dependent's own account (id = their person_id) takes over."""

    person_id = fields.UUID(required=True)
    holder_id = fields.UUID(required=True)
