"""Office operations: check-ins, walk-ins, tickets and the public board."""

from marshmallow import RAISE, Schema, fields, validate

from gateway.schemas.bookings import PRIORITIES, Booking


class CheckIn(Schema):
    class Meta:
        unknown = RAISE

    reservation_code = fields.String(required=True, validate=validate.Length(min=8, max=12))
    identity_confirmed = fields.Boolean(
        required=True,
        metadata={"description": "true: the officer compared the KTP with the booking's holder", "enum": [True]},
    )
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))


class Transfer(Schema):
    class Meta:
        unknown = RAISE

    counter = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=10))
    service_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))


class DayQuery(Schema):
    class Meta:
        unknown = RAISE

    date = fields.Date(load_default=None)


class Holder(Schema):
    full_name = fields.String()
    nik_masked = fields.String()
    birth_date = fields.String(allow_none=True)


class QuotaUse(Schema):
    limit_minutes = fields.Integer()
    used_minutes = fields.Integer()


class Quotas(Schema):
    date = fields.String()
    capacity_minutes = fields.Integer()
    walk_in = fields.Nested(QuotaUse)
    priority = fields.Nested(QuotaUse)


class WalkIn(Schema):
    class Meta:
        unknown = RAISE

    service_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))
    priority = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PRIORITIES))
    name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "for the officer's call only; not stored"},
    )


class Ticket(Schema):
    ticket_id = fields.String(required=True)
    ticket_number = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["booked", "walk_in"]})
    priority = fields.String(allow_none=True)
    status = fields.String(required=True)
    service_code = fields.String(required=True)
    counter = fields.String(allow_none=True)
    reservation_code = fields.String(allow_none=True)
    issued_at = fields.String()


class NowServing(Schema):
    ticket_number = fields.String()
    counter = fields.String()


class Board(Schema):
    now_serving = fields.List(fields.Nested(NowServing), required=True)
    waiting = fields.Integer(required=True)
    estimated_wait_minutes = fields.Integer(required=True)


class OfficeBooking(Booking):
    holder = fields.Nested(Holder, allow_none=True, metadata={"description": "null: identity does not know them"})
    declared_priority = fields.String(allow_none=True)
    ticket = fields.Nested(Ticket, allow_none=True)
    documents = fields.Dict(
        allow_none=True,
        metadata={"description": "{complete, approved, missing, rejected, waiting_review}; null: documents down"},
    )
