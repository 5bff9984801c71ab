"""Bookings of a service with a fee (PNBP): the bill, the wait for payment, and what payment's events do.

The bill is made by payment over RPC *before* the booking's transaction, with the booking id chosen here:
the booking answer then carries the billing code, and no slot row stays locked while payment answers. If the
seat then turns out to be gone (SLOT_FULL, ALREADY_BOOKED), the bill is an orphan nobody was shown: payment
never reminds about it (it waits for ``booking_created``) and expires it at its deadline. Payment down means
a fee service cannot be booked (503), while free services book as before without asking payment at all.

Payment is the one judge of a bill's deadline (services/payment/README.md): ``payment_received`` confirms a
booking that still awaits payment; ``bill_expired`` expires it and returns its seat; ``bill_extended`` moves
the deadline shown. Each is idempotent (``first_delivery``) and applies only to a booking awaiting payment, so
a payment for a booking cancelled meanwhile changes nothing here: payment refunds it on ``booking_cancelled``.
"""

import uuid
from datetime import date

from sqlalchemy import select

from antre_common.envelope import utcnow
from antre_common.errors import load
from scheduling import bookings, events, schemas, waitlist
from scheduling.exceptions import SlotNotFound
from scheduling.fees import AWAITING
from scheduling.models import Booking, Slot


def bill_for(session, payment, service, user_id, slot_id):
    """The bill of a booking about to be made for a service with a fee (``booking_id`` inside), or None."""
    if not service.get("prepaid"):
        return None
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound("no such slot", slot_id=slot_id)
    return payment.create_bill(
        {
            "booking_id": str(uuid.uuid4()),
            "user_id": user_id,
            "service_code": service["code"],
            "office_code": slot.office_code,
            "not_after": slot.start_at.isoformat(),
        }
    )


class Payments:
    """Payment's events applied to bookings; the cache drops a day whose seats changed, after the commit."""

    def __init__(self, db, cache, settings, now=utcnow):
        self.db = db
        self.cache = cache
        self.settings = settings
        self.now = now

    def _awaiting(self, session, envelope, consumer, booking_id):
        if not self.db.first_delivery(envelope, consumer):
            return None
        booking = session.scalar(select(Booking).where(Booking.id == booking_id).with_for_update())
        return booking if booking is not None and booking.status == AWAITING else None

    def on_payment_received(self, envelope):
        data = load(schemas.PaymentReceived(), envelope["data"])
        with self.db.transaction() as session:
            booking = self._awaiting(session, envelope, "scheduling.payment_received", data["booking_id"])
            if booking is not None:
                booking.status, booking.receipt_number, booking.updated_at = (
                    "confirmed",
                    data["receipt_number"],
                    self.now(),
                )

    def on_bill_extended(self, envelope):
        data = load(schemas.BillExtended(), envelope["data"])
        with self.db.transaction() as session:
            booking = self._awaiting(session, envelope, "scheduling.bill_extended", data["booking_id"])
            if booking is not None:
                booking.payment_expires_at = data["expires_at"]

    def on_bill_expired(self, envelope):
        """Unpaid at the deadline: ``expired``, the seat returns, the citizen is told (booking_expired)."""
        data = load(schemas.BillExpired(), envelope["data"])
        changed = None
        with self.db.transaction() as session:
            booking = self._awaiting(session, envelope, "scheduling.bill_expired", data["booking_id"])
            if booking is not None:
                bookings._return_seat(session, booking.slot_id, booking.minutes)
                booking.status, booking.cancel_reason, booking.updated_at = "expired", "unpaid", self.now()
                waitlist.seat_freed(session, self.db, self.settings, self.now(), booking.slot_id)  # first waiting
                view = bookings.dto(session, booking)
                self.db.add_event("booking_expired", events.booking_expired(booking, view["date"], "unpaid"))
                self.db.add_event(
                    events.AVAILABILITY_CHANGED,
                    events.availability_changed(booking.office_code, [date.fromisoformat(view["date"])]),
                )
                changed = (booking.office_code, [view["date"]])
        if changed:
            self.cache.invalidate(*changed)
