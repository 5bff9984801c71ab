"""Which events become which messages, on which channels, and when a failed attempt is tried again.

Plain Python: no broker, no database.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)

# Message type → channels, most useful first. Time-critical messages also go by SMS; long ones (documents,
# no-show) only by email. A person's preference can narrow this (see ``choose``), never widen it.
MESSAGE_CHANNELS = {
    "otp": (EMAIL, SMS),  # the event names the one channel
    "welcome": (EMAIL,),
    "booking_confirmed": (EMAIL, SMS),
    "booking_cancelled": (EMAIL, SMS),
    "booking_rescheduled": (EMAIL, SMS),
    "reminder": (EMAIL, SMS),
    "your_turn": (SMS, EMAIL),
    "document_rejected": (EMAIL,),
    "no_show": (EMAIL,),
    # Fees (PNBP): what to pay and by when, a reminder before the deadline, the receipt, the expiry, a refund.
    "payment_due": (EMAIL, SMS),
    "payment_reminder": (EMAIL, SMS),
    "payment_receipt": (EMAIL, SMS),
    "booking_expired": (EMAIL, SMS),
    "payment_refunded": (EMAIL,),
    "booking_disrupted": (EMAIL, SMS),
    "waitlist_offer": (SMS, EMAIL),  # a held seat with a deadline: the fastest channel first
    "dependent_registered": (EMAIL,),  # to the holder: their dependent has an account of their own now
}
MESSAGE_TYPES = tuple(MESSAGE_CHANNELS)

# (source service, event type) → message type; what notification subscribes to.
EVENT_MESSAGES = {
    ("identity", "otp_requested"): "otp",
    ("identity", "user_registered"): "welcome",
    ("identity", "dependent_registered"): "dependent_registered",
    ("scheduling", "booking_created"): "booking_confirmed",
    ("scheduling", "booking_cancelled"): "booking_cancelled",
    ("scheduling", "booking_rescheduled"): "booking_rescheduled",
    ("scheduling", "reminder_due"): "reminder",
    ("scheduling", "ticket_called"): "your_turn",
    ("scheduling", "booking_no_show"): "no_show",
    ("scheduling", "booking_disrupted"): "booking_disrupted",
    ("scheduling", "waitlist_offer"): "waitlist_offer",
    ("documents", "document_reviewed"): "document_rejected",
    ("scheduling", "booking_expired"): "booking_expired",
    ("payment", "payment_reminder_due"): "payment_reminder",
    ("payment", "payment_received"): "payment_receipt",
    ("payment", "payment_refunded"): "payment_refunded",
}


@dataclass(frozen=True)
class Planned:
    message_type: str
    channels: tuple
    user_id: str | None
    booking_id: str | None


def plan(event_type, data):
    """The message an event asks for, or None when it asks for none (an accepted document, a walk-in's ticket)."""
    message_type = next((m for (_, t), m in EVENT_MESSAGES.items() if t == event_type), None)
    if message_type is None:
        return None
    if message_type == "document_rejected" and data.get("decision") != "rejected":
        return None
    if message_type == "booking_confirmed" and data.get("status") == "awaiting_payment":
        message_type = "payment_due"  # a service with a fee: how to pay and by when, not "confirmed" yet
    user_id, booking_id = data.get("user_id") or data.get("holder_id"), data.get("booking_id")
    if message_type == "your_turn" and not (user_id or booking_id):
        return None  # a walk-in ticket: the board in the hall calls them, there is nobody to text
    channels = (data["channel"],) if message_type == "otp" else MESSAGE_CHANNELS[message_type]
    return Planned(message_type, channels, str(user_id) if user_id else None, str(booking_id) if booking_id else None)


def choose(message_type, channel, contact):
    """Send on ``channel``? Returns None to send, or why not ("no_address", "opted_out").

    A one-time code always goes where the person asked for it; other messages respect the optional
    ``channels`` preference in the contact (identity may not have it yet: then every channel is used)."""
    address = contact.get("email") if channel == EMAIL else contact.get("phone")
    if not address:
        return "no_address"
    preferred = contact.get("channels")
    if message_type != "otp" and preferred and channel not in preferred:
        return "opted_out"
    return None


def backoff(attempts, base, cap, rand=random.random):
    """Delay before the next attempt after ``attempts`` failures: exponential, capped, ±20 % jitter so
    that a relay coming back is not hit by every queued message at the same instant."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * (0.8 + 0.4 * rand()))


def booking_facts(event_type, data):
    """The booking reference an event creates or changes (no personal data), or None."""
    if event_type == "booking_created":
        return {
            "booking_id": str(data["booking_id"]),
            "reservation_code": data["reservation_code"],
            "user_id": str(data["user_id"]),
            "office_code": data.get("office_code"),
            "service_code": data.get("service_code"),
            "date": data.get("date"),
            "start": data.get("start"),
            "status": data.get("status") or "confirmed",
        }
    if event_type == "payment_received":
        return {"booking_id": str(data["booking_id"]), "status": "confirmed"}
    if event_type == "booking_expired":
        return {"booking_id": str(data["booking_id"]), "status": "expired"}
    if event_type == "booking_rescheduled":
        new = new_slot(data)
        return {"booking_id": str(data["booking_id"]), **new, "status": "confirmed"}
    if event_type == "booking_cancelled":
        return {"booking_id": str(data["booking_id"]), "status": "cancelled"}
    if event_type == "booking_no_show":
        return {"booking_id": str(data["booking_id"]), "status": "no_show"}
    return None


def _slot(value):
    if isinstance(value, dict):
        return {"date": value.get("date"), "start": value.get("start")}
    return {"date": None, "start": value}  # an ISO date-time with offset carries its own date


def old_slot(data):
    """EVENTS.md says "old slot, new slot" without a shape: accept ``old_slot``/``old`` as {date, start} or
    an ISO string, or ``old_date``/``old_start``."""
    for key in ("old_slot", "old"):
        if data.get(key):
            return _slot(data[key])
    return {"date": data.get("old_date"), "start": data.get("old_start")}


def new_slot(data):
    for key in ("new_slot", "new"):
        if data.get(key):
            return _slot(data[key])
    return {"date": data.get("new_date", data.get("date")), "start": data.get("new_start", data.get("start"))}
