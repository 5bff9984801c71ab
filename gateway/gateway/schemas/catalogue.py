"""Offices, services, availability and capacity as clients see them."""

from marshmallow import Schema, fields, validate

from antre_common.schemas import Strict
from gateway.schemas.payments import Fee

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")


class BookingWindow(Schema):
    days_ahead = fields.Integer()
    release_time = fields.String(metadata={"description": "office local time a new day opens, HH:MM"})
    open_until = fields.String()
    next_release_at = fields.String()


class OfficeSummary(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    city = fields.String(required=True)
    province = fields.String(required=True)
    timezone = fields.String(required=True)
    address = fields.String(required=True)
    booking_window = fields.Nested(BookingWindow)


class ClosureOut(Schema):
    date = fields.String()
    reason = fields.String(allow_none=True)


class Office(OfficeSummary):
    counters = fields.Integer()
    slot_minutes = fields.Integer()
    online_share = fields.Float()
    opening_hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.String())))
    closures = fields.List(fields.Nested(ClosureOut))


class CapacityResult(Office):
    kept_booked_slots = fields.Integer(
        metadata={"description": "released slots that keep their bookings but take no new ones"}
    )


class RequiredDocument(Schema):
    type = fields.String(required=True)
    name = fields.String(required=True)
    required = fields.Boolean(required=True)


class Service(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    duration_minutes = fields.Integer(required=True)
    required_documents = fields.List(fields.Nested(RequiredDocument), required=True)
    prepaid = fields.Boolean(metadata={"description": "the fee is paid before the visit, with a billing code"})
    fee = fields.Nested(Fee, allow_none=True)


class AvailabilityQuery(Strict):
    service = fields.String(required=True, validate=CODE)
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)


class Slot(Schema):
    slot_id = fields.String(required=True)
    date = fields.String(required=True)
    start = fields.String(required=True, metadata={"description": "office local time with offset"})
    end = fields.String(required=True)
    remaining = fields.Integer(required=True)


class ClosureIn(Strict):
    date = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class CapacityRequest(Strict):
    counters = fields.Integer(validate=validate.Range(min=1, max=100))
    slot_minutes = fields.Integer(validate=validate.OneOf([15, 20, 30, 45, 60, 90, 120]))
    online_share = fields.Float(validate=validate.Range(min=0.0, max=1.0))
    opening_hours = fields.Dict(
        keys=fields.String(validate=validate.OneOf(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
        values=fields.List(fields.List(fields.String(), validate=validate.Length(equal=2))),
        metadata={"description": 'weekday → [["08:00", "12:00"], …] in office local time; absent = closed'},
    )
    closures = fields.List(fields.Nested(ClosureIn), metadata={"description": "replaces the future closures"})
