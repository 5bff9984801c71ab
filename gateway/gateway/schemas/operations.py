"""Office operations: check-ins, walk-ins, tickets and the public board."""

from marshmallow import RAISE, Schema, fields, validate

PRIORITIES = ["lansia", "disabilitas", "ibu_hamil", "anak"]


class CheckIn(Schema):
    class Meta:
        unknown = RAISE

    reservation_code = fields.String(required=True, validate=validate.Length(min=8, max=12))


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
