"""What crosses payment's boundary, validated on the way in (it has more callers than the gateway)."""

from marshmallow import fields, validate

from antre_common.schemas import Lenient, Strict

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")


class CreateBill(Strict):
    """From scheduling, before it books a service with a fee."""

    booking_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    service_code = fields.String(required=True, validate=CODE)
    office_code = fields.String(required=True, validate=CODE)
    not_after = fields.AwareDateTime(load_default=None, allow_none=True)  # the slot's start


class Notification(Strict):
    """The channel's payment notification (its raw body is what the signature covers)."""

    transaction_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"))
    billing_code = fields.String(required=True, validate=validate.Length(max=32))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    currency = fields.String(required=True, validate=validate.Equal("IDR"))
    paid_at = fields.AwareDateTime(required=True)
    timestamp = fields.Integer(required=True, strict=True)


class Inquiry(Strict):
    """The channel asks what a billing code is for before it takes the money."""

    billing_code = fields.String(required=True, validate=validate.Length(max=32))
    timestamp = fields.Integer(required=True, strict=True)


class RefundArgs(Strict):
    billing_code = fields.String(required=True, validate=validate.Length(max=32))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=40))
    staff_id = fields.UUID(load_default=None, allow_none=True)


class OutageArgs(Strict):
    state = fields.String(required=True, validate=validate.OneOf(["down", "up"]))
    reason = fields.String(load_default="", validate=validate.Length(max=200))
    staff_id = fields.UUID(load_default=None, allow_none=True)


class BookingData(Lenient):
    """``booking_created`` / ``booking_cancelled`` data: payment needs only which booking, and why it ended."""

    booking_id = fields.String(required=True)
    reservation_code = fields.String(load_default=None)
    reason = fields.String(load_default=None)
