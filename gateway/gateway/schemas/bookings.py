"""Citizen bookings as clients see them."""

from marshmallow import RAISE, Schema, fields, validate


class BookingRequest(Schema):
    class Meta:
        unknown = RAISE

    slot_id = fields.UUID(required=True)
    service_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))
    person_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "whom it is for: you (default) or your dependent"}
    )


class RescheduleRequest(Schema):
    class Meta:
        unknown = RAISE

    slot_id = fields.UUID(required=True)


class Booking(Schema):
    booking_id = fields.String(required=True)
    reservation_code = fields.String(required=True)
    status = fields.String(
        required=True,
        metadata={"enum": ["confirmed", "checked_in", "called", "serving", "completed", "cancelled", "no_show"]},
    )
    person_id = fields.String(metadata={"description": "whom the booking is for: the holder or a dependent"})
    office_code = fields.String(required=True)
    service_code = fields.String(required=True)
    slot_id = fields.String()
    date = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    reschedule_count = fields.Integer()
    created_at = fields.String(required=True)
