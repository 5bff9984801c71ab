"""Fees (PNBP): the payment channel's signed notifications and inquiries, a booking's payment (its owner),
and the operator's tools (channel down/up, refunds, the daily reconciliation).

The channel's routes take the raw body: its HMAC covers the bytes as sent, so the gateway neither parses nor
re-encodes it; payment verifies the signature and the time window. In production the ingress lets only the
channel's addresses reach ``/api/v1/payments/`` (deploy/k8s, docs/runbook.md).
"""

import base64

from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from antre_common.errors import ServiceUnavailable
from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api
from gateway.routes.bookings import _owner_or_staff
from gateway.schemas.payments import (
    Bill,
    ChannelInquiry,
    ChannelState,
    ChannelStateRequest,
    ReconciliationQuery,
    RefundRequest,
)

ADMIN = ("admin",)
MAX_NOTIFICATION_BYTES = 16 * 1024


def _raw(request):
    return base64.b64encode(request.get_data(cache=False)[:MAX_NOTIFICATION_BYTES]).decode()


class PaymentRoutes:
    # Also read by CatalogueRoutes (fees of GET /api/v1/services), declared once here.
    payment = ServiceRpc("payment", cached={"fees": 60})

    @api("POST", "/api/v1/payments/notifications", status=204, answers=(400, 401, 409, 422), tags=["payments"])
    def channel_notification(self, request):
        """The channel's signed payment notification (X-Signature); 204, also when repeated (nothing changes)."""
        self.payment.channel_notification(_raw(request), request.headers.get("X-Signature"))
        return Response(status=204)

    @api("POST", "/api/v1/payments/inquiries", response=ChannelInquiry(), answers=(400, 401),
         tags=["payments"])  # fmt: skip
    def channel_inquiry(self, request):
        """The channel asks (signed) what a billing code is for: amount, state, deadline; nothing personal."""
        return self.payment.channel_inquiry(_raw(request), request.headers.get("X-Signature"))

    @api("GET", "/api/v1/bookings/<code>/payment", response=Bill(), auth=True, tags=["payments"])
    def booking_payment(self, request, code, user):
        """The bill of a booking with a fee (its owner, or staff of its office)."""
        booking = _owner_or_staff(user, self.scheduling.get_booking(code))
        return self.payment.get_bill(booking["booking_id"])

    @api("GET", "/api/v1/admin/payment-channel", response=ChannelState(), auth=ADMIN, tags=["payments"])
    def channel_status(self, request, user):
        """Whether the payment channel is reported down, and the last outages."""
        return self.payment.channel_status()

    @api("PUT", "/api/v1/admin/payment-channel", body=ChannelStateRequest(), response=ChannelState(), auth=ADMIN,
         tags=["payments"])  # fmt: skip
    def set_channel_state(self, request, body, user):
        """Report the channel down (no deadline is enforced meanwhile) or back up (passed deadlines move)."""
        return self.payment.set_channel_state(dict(body, staff_id=user.user_id))

    @api("POST", "/api/v1/admin/payments/<billing_code>/refund", body=RefundRequest(), response=Bill(),
         auth=ADMIN, tags=["payments"])  # fmt: skip
    def refund(self, request, billing_code, body, user):
        """Refund a paid bill whose booking can no longer be served; once (409 ALREADY_REFUNDED after)."""
        return self.payment.refund({"billing_code": billing_code, "reason": body["reason"], "staff_id": user.user_id})

    @api("GET", "/api/v1/admin/payments/reconciliation", query=ReconciliationQuery(), auth=ADMIN, tags=["payments"])
    def reconciliation(self, request, query, user):
        """The day's payments against the channel's settlements (404 until the channel's list is available)."""
        report = self.payment.reconciliation(query["date"].isoformat())
        if report is None:
            raise GatewayError("NOT_FOUND")
        return report

    def fees_by_service(self):
        """``{service_code: fee}``; empty while payment is down (the catalogue still answers, without fees)."""
        try:
            return self.payment.fees()["fees"]
        except (RemoteError, ServiceUnavailable):
            return {}
