"""What a booking of a service with a fee carries: its row's payment columns and the ``payment`` of its answer
(the rest of the fee logic is payments.py; this module imports nothing of scheduling, so bookings.py can)."""

from datetime import datetime

AWAITING = "awaiting_payment"


def columns(bill):
    """The booking row's payment columns (all None without a bill)."""
    return {
        "status": AWAITING if bill else "confirmed",
        "billing_code": bill["billing_code"] if bill else None,
        "fee_amount": bill["amount"] if bill else None,
        "payment_expires_at": datetime.fromisoformat(bill["expires_at"]) if bill else None,
    }


def view(booking):
    """``{payment: {...}}`` in the booking answer for a booking with a fee; nothing for a free one."""
    if booking.billing_code is None:
        return {}
    payment = {
        "billing_code": booking.billing_code,
        "amount": booking.fee_amount,
        "currency": "IDR",
        "expires_at": booking.payment_expires_at.isoformat(),
    }
    if booking.receipt_number:
        payment["receipt_number"] = booking.receipt_number
    return {"payment": payment}
