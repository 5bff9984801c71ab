"""The events payment publishes (spec/EVENTS.md, docs/contracts.md): one function per event, building its data.

``payment_received`` and ``payment_refunded`` also leave the suite on ``antre.integration`` for the Ministry of
Finance, without the user id or the reservation code: the booking id, billing code, amounts and times only.
"""

from antre_common import envelope

SOURCE = "/antre/payment"
INTEGRATION_TYPES = {
    "payment_received": "id.go.imigrasi.antre.payment.received.v1",
    "payment_refunded": "id.go.imigrasi.antre.payment.refunded.v1",
}


def cloud_event(ce_type, data):
    return envelope.cloud_event(SOURCE, ce_type, data)


def emit(db, event_type, data, integration=None):
    db.add_event(event_type, data)
    if integration is not None:
        db.add_integration_event(SOURCE, INTEGRATION_TYPES[event_type], integration)


def _money(bill):
    return {
        "booking_id": bill.booking_id,
        "billing_code": bill.billing_code,
        "amount": bill.amount,
        "currency": bill.currency,
        "office_code": bill.office_code,
        "service_code": bill.service_code,
    }


def _whose(bill):
    return {"user_id": bill.user_id, "reservation_code": bill.reservation_code}


def payment_received_integration(bill):
    return _money(bill) | {"receipt_number": bill.receipt_number, "paid_at": bill.paid_at.isoformat()}


def payment_received(bill):
    """Scheduling confirms the booking; notification sends the receipt."""
    return payment_received_integration(bill) | _whose(bill)


def payment_refunded_integration(bill, refund):
    return _money(bill) | {
        "amount": refund.amount,
        "refund_id": refund.id,
        "transaction_id": refund.transaction_id,
        "reason": refund.reason,
        "refunded_at": refund.created_at.isoformat(),
    }


def payment_refunded(bill, refund):
    return payment_refunded_integration(bill, refund) | _whose(bill)


def bill_expired(bill):
    """Unpaid at the deadline: scheduling expires the booking (its seat returns) and tells the citizen."""
    return {"booking_id": bill.booking_id, "billing_code": bill.billing_code, "reason": bill.closed_reason}


def bill_extended(bill):
    """The deadline moved (a channel outage): scheduling shows the new one on the booking."""
    return {"booking_id": bill.booking_id, "billing_code": bill.billing_code, "expires_at": bill.expires_at.isoformat()}


def payment_reminder_due(bill):
    return _whose(bill) | {
        "booking_id": bill.booking_id,
        "billing_code": bill.billing_code,
        "amount": bill.amount,
        "currency": bill.currency,
        "expires_at": bill.expires_at.isoformat(),
    }
