"""Citizen bookings as clients see them."""

from marshmallow import RAISE, Schema, fields, validate

from gateway.schemas.payments import BookingPayment

PRIORITIES = ["lansia", "disabilitas", "ibu_hamil", "anak"]


class TicketPlace(Schema):
    ticket_number = fields.String(required=True)
    status = fields.String(required=True)
    position = fields.Integer(required=True, metadata={"description": "1: called next; 0: called or served now"})
    expected_wait_minutes = fields.Integer(required=True)


class BookingRequest(Schema):
    class Meta:
        unknown = RAISE

    slot_id = fields.UUID(required=True)
    service_code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))
    priority = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(PRIORITIES),
        metadata={"description": "declared priority; the officer confirms it at check-in"},
    )
    admission = fields.UUID(load_default=None, allow_none=True, metadata={"description": "from the waiting room"})
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
        metadata={
            "enum": [
                "awaiting_payment",
                "confirmed",
                "checked_in",
                "called",
                "serving",
                "completed",
                "cancelled",
                "no_show",
                "expired",
            ]
        },
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
    payment = fields.Nested(BookingPayment, metadata={"description": "a service with a fee (PNBP)"})
    priority = fields.String(allow_none=True)
    ticket = fields.Nested(TicketPlace, metadata={"description": "once checked in"})
    disruption_id = fields.String(
        allow_none=True, metadata={"description": "set while its time falls in an office disruption: it may move free"}
    )
