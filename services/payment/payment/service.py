"""Payment service entrypoints: argument checks, then one call to ``bills.Bills``, which opens the
transactions. The fee table, billing codes, the channel's signatures and the reconciliation live beside this
file (fees, codes, channel, reconcile); the decisions are in README.md. The admin calls need an admin's
access token in the RPC context, verified here (``self.caller.staff_member``, docs/security.md)."""

import base64
from datetime import date

from antre_common.auth import Caller
from antre_common.consumers import event_handler
from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from antre_common.timer import every
from payment import schemas
from payment.bills import Bills, yesterday
from payment.dependencies import PaymentRuntime, Settlements
from payment.exceptions import ValidationError
from payment.models import OutboxEvent, ProcessedEvent
from payment.settings import Settings


class PaymentService(ServiceBase):
    name = "payment"

    db = Database(OutboxEvent, ProcessedEvent)
    runtime = PaymentRuntime()
    settlements = Settlements()
    caller = Caller()

    @property
    def bills(self):
        return Bills(self.db, self.runtime.settings, self.runtime.fees, self.runtime.ring)

    # -- scheduling and the gateway -------------------------------------------------------------------------

    @rpc
    def fees(self):
        """``{source, fees: {service_code: {amount, currency, basis}}}``: the services billed before the visit."""
        return self.bills.fee_table()

    @rpc
    def create_bill(self, args):
        """Idempotent on ``booking_id``."""
        return self.bills.create(load(schemas.CreateBill(), args))

    @rpc
    def get_bill(self, booking_id):
        return self.bills.get(booking_id)

    # -- the payment channel (the gateway passes the raw body, base64, and X-Signature) ---------------------

    @rpc
    def channel_notification(self, body_b64, signature):
        """Idempotent on the channel's transaction id; ``{outcome: applied|refunded|repeated, bill}``."""
        return self.bills.notify(_raw(body_b64), signature)

    @rpc
    def channel_inquiry(self, body_b64, signature):
        return self.bills.inquiry(_raw(body_b64), signature)

    # -- operators ------------------------------------------------------------------------------------------

    @rpc
    def refund(self, args):
        args = load(schemas.RefundArgs(), args)
        self.caller.staff_member("admin", user_id=args.get("staff_id"))
        return self.bills.refund(args)

    @rpc
    def set_channel_state(self, args):
        args = load(schemas.OutageArgs(), args)
        self.caller.staff_member("admin", user_id=args.get("staff_id"))
        return self.bills.channel_state(args)

    @rpc
    def channel_status(self):
        self.caller.staff_member("admin")
        return self.bills.channel_status()

    @rpc
    def reconciliation(self, day):
        """The stored report of ``day`` (YYYY-MM-DD); made now from the channel's settlements when missing."""
        self.caller.staff_member("admin")
        day = _day(day)
        report = self.bills.reconciliation(day)
        if report is None:
            settlements = self.settlements(day)
            report = None if settlements is None else self.bills.reconcile(day, settlements)
        return report

    # -- timers ---------------------------------------------------------------------------------------------

    @every(Settings, "expiry_sweep_seconds")
    def sweep_deadlines(self):
        """Unpaid at the deadline: expired (bill_expired); past a channel outage: extended; reminders."""
        return self.bills.sweep()

    @every(Settings, "reconcile_sweep_seconds")
    def reconcile_yesterday(self):
        day = yesterday(utcnow())
        if self.bills.reconciliation(day) is None:
            settlements = self.settlements(day)
            if settlements is not None:
                self.bills.reconcile(day, settlements)

    # -- events from scheduling -----------------------------------------------------------------------------

    @event_handler("scheduling", "booking_created")
    def on_booking_created(self, envelope):
        self.bills.on_booking_created(envelope)

    @event_handler("scheduling", "booking_cancelled")
    def on_booking_cancelled(self, envelope):
        self.bills.on_booking_cancelled(envelope)


def _raw(body_b64):
    try:
        return base64.b64decode(body_b64, validate=True)
    except (TypeError, ValueError):
        raise ValidationError("body must be base64", errors={"body": ["base64"]}) from None


def _day(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("invalid date", errors={"date": ["YYYY-MM-DD"]}) from None
