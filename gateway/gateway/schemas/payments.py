"""Fees (PNBP) as clients see them: the fee of a service, the payment of a booking, the operator's tools."""

from marshmallow import Schema, fields, validate

from antre_common.schemas import Strict


class Fee(Schema):
    amount = fields.Integer(required=True, metadata={"description": "whole rupiah"})
    currency = fields.String(required=True, metadata={"enum": ["IDR"]})
    basis = fields.String(metadata={"description": "the regulation the tariff comes from"})


class BookingPayment(Schema):
    """``payment`` of a booking of a service with a fee."""

    billing_code = fields.String(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    expires_at = fields.String(required=True, metadata={"description": "the seat is held until then"})
    receipt_number = fields.String()


class Bill(Schema):
    billing_code = fields.String(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "paid", "expired", "refunded"]})
    expires_at = fields.String(required=True)
    receipt_number = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)


class ChannelInquiry(Schema):
    billing_code = fields.String(required=True)
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True)
    expires_at = fields.String(required=True)


class ChannelStateRequest(Strict):
    state = fields.String(required=True, validate=validate.OneOf(["down", "up"]))
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class Outage(Schema):
    started_at = fields.String()
    ended_at = fields.String(allow_none=True)
    reason = fields.String()


class ChannelState(Schema):
    state = fields.String(required=True, metadata={"enum": ["up", "down"]})
    since = fields.String(allow_none=True)
    outages = fields.List(fields.Nested(Outage))


class RefundRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=40))


class ReconciliationQuery(Strict):
    date = fields.Date(required=True)
