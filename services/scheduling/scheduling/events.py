"""Events of spec/EVENTS.md, written to the outbox in the transaction of the change they report: one
function per event builds its data (receivers' schemas and test doubles are checked against these in
tests/contracts), ``emit`` writes it.

Booking events also leave the suite on ``antre.integration`` as CloudEvents 1.0, without the user id or
anything personal: other ministries get the booking id, office, service and times only.
"""

from zoneinfo import ZoneInfo

from antre_common import envelope

SOURCE = "/antre/scheduling"
INTEGRATION_TYPES = {
    "booking_created": "id.go.imigrasi.antre.booking.created.v1",
    "booking_cancelled": "id.go.imigrasi.antre.booking.cancelled.v1",
    "booking_rescheduled": "id.go.imigrasi.antre.booking.rescheduled.v1",
    "ticket_issued": "id.go.imigrasi.antre.ticket.issued.v1",
    "ticket_completed": "id.go.imigrasi.antre.ticket.completed.v1",
    "release_opened": "id.go.imigrasi.antre.release.opened.v1",
}
# Cache coherence between replicas (not a domain event): the office's availability changed on these dates
# (None: every date).
AVAILABILITY_CHANGED = "availability_changed"


def cloud_event(ce_type, data):
    return envelope.cloud_event(SOURCE, ce_type, data)


def emit(db, event_type, data, integration=None):
    """``data`` goes to scheduling.events; ``integration`` (if given) to other ministries."""
    db.add_event(event_type, data)
    if integration is not None:
        db.add_integration_event(SOURCE, INTEGRATION_TYPES[event_type], integration)


def availability_changed(office_code, dates=None):
    return {"office_code": office_code, "dates": None if dates is None else sorted({d.isoformat() for d in dates})}


def booking_created(view):
    """``view``: the booking as ``bookings.booking_dto`` shows it."""
    keys = ("booking_id", "reservation_code", "user_id", "office_code", "service_code", "date", "start", "end")
    # status and payment: a booking with a fee awaits its payment (billing code, amount, deadline to tell).
    return (
        {k: view[k] for k in keys}
        | {"slot_id": view["slot_id"], "status": view["status"]}
        | ({"payment": view["payment"]} if "payment" in view else {})
    )


def booking_transferred(booking_id, reservation_code, user_id, previous_user_id):
    """A dependent's own account took over a booking made for them: it is theirs now (documents follows)."""
    return {
        "booking_id": booking_id,
        "reservation_code": reservation_code,
        "user_id": user_id,
        "previous_user_id": previous_user_id,
    }


def booking_cancelled(booking, date, reason):
    return _about(booking) | {"date": date, "reason": reason}


def booking_expired(booking, date, reason):
    """Awaiting payment at the deadline (``reason`` unpaid): the seat is free again; the citizen is told."""
    return _about(booking) | {"date": date, "reason": reason, "service_code": booking.service_code}


def booking_rescheduled(booking, old_slot, new_slot):
    return _about(booking) | {"old_slot": old_slot, "new_slot": new_slot}


def booking_integration(booking, tz, **extra):
    """What other ministries get of a booking event: no user id, nothing personal."""
    start = booking.start_at.astimezone(ZoneInfo(tz))
    return {
        "booking_id": booking.id,
        "office_code": booking.office_code,
        "service_code": booking.service_code,
        "date": start.date().isoformat(),
        "start": start.isoformat(),
        "status": booking.status,
        **extra,
    }


def reminder_due(booking, tz, now):
    start = booking.start_at.astimezone(ZoneInfo(tz))
    return {
        "booking_id": booking.id,
        "user_id": booking.user_id,
        "reservation_code": booking.reservation_code,
        "office_code": booking.office_code,
        "service_code": booking.service_code,
        "date": start.date().isoformat(),
        "start": start.isoformat(),
        "hours_before": round((booking.start_at - now).total_seconds() / 3600),
    }


def booking_no_show(booking):
    """From the no-show sweep and from a ticket marked no-show at the counter alike."""
    return _about(booking)


def _about(booking):
    """What every event about one booking carries."""
    return {
        "booking_id": booking.id,
        "reservation_code": booking.reservation_code,
        "user_id": booking.user_id,
        "office_code": booking.office_code,
    }


def ticket_issued(view):
    """``view``: the ticket as ``operations.ticket_dto`` shows it (also what other ministries get)."""
    return {k: view[k] for k in ("ticket_id", "ticket_number", "office_code", "kind", "priority", "service_code")}


def ticket_called(ticket, counter, booking=None):
    """Also for a recall (``recall``: how many times the person was called again): they are told again."""
    return {
        "ticket_id": ticket.id,
        "ticket_number": ticket.ticket_number,
        "office_code": ticket.office_code,
        "counter": counter,
        "booking_id": booking.id if booking else None,
        "user_id": booking.user_id if booking else None,
        "recall": ticket.recalls or 0,
    }


def _ticket_ref(ticket):
    return {"ticket_id": ticket.id, "ticket_number": ticket.ticket_number, "office_code": ticket.office_code}


def ticket_transferred(ticket):
    """Waiting again, for ``counter`` (called next there) or for another ``service_code``."""
    return _ticket_ref(ticket) | {"counter": ticket.counter, "service_code": ticket.service_code}


def ticket_requeued(ticket):
    """A late arrival after a no-show, back in today's queue."""
    return _ticket_ref(ticket)


def ticket_no_show(ticket):
    """Any ticket (booked or walk-in) called but not there: the board drops it."""
    return _ticket_ref(ticket)


def ticket_completed(ticket, booking=None):
    """``(internal, integration)``: the internal event carries the booking's id and code (documents starts its
    retention clock on them); the CloudEvents copy for other ministries stays without them."""
    integration = {
        "ticket_id": ticket.id,
        "office_code": ticket.office_code,
        "service_code": ticket.service_code,
        "kind": ticket.kind,
        "wait_seconds": round((ticket.called_at - ticket.issued_at).total_seconds()),
        "service_seconds": round((ticket.finished_at - ticket.started_at).total_seconds()),
    }
    internal = dict(
        integration,
        booking_id=booking.id if booking else None,
        reservation_code=booking.reservation_code if booking else None,
    )
    return internal, integration


def disruption_declared(disruption, affected):
    """For the status page and whoever follows the office (no personal data)."""
    return {
        "disruption_id": disruption.id,
        "office_code": disruption.office_code,
        "from": disruption.starts_at.isoformat(),
        "to": disruption.ends_at.isoformat(),
        "reason": disruption.reason,
        "affected_bookings": affected,
    }


def booking_disrupted(booking, tz, disruption):
    """One per booking in the disruption: the person is told and may reschedule without it counting."""
    start = booking.start_at.astimezone(ZoneInfo(tz))
    return _about(booking) | {
        "service_code": booking.service_code,
        "date": start.date().isoformat(),
        "start": start.isoformat(),
        "disruption_id": disruption.id,
        "from": disruption.starts_at.astimezone(ZoneInfo(tz)).isoformat(),
        "to": disruption.ends_at.astimezone(ZoneInfo(tz)).isoformat(),
        "reason": disruption.reason,
    }


def release_opened(view):
    """``view``: the release as ``releases.dto`` shows it (nothing personal: it also suits other ministries)."""
    return {k: view[k] for k in ("release_id", "office_code", "date", "kind", "opens_at", "seats")}


def waitlist_offer(entry, start):
    """A seat held for ``entry``'s person until ``expires_at``; ``start`` is the slot's office-local start."""
    return {
        "waitlist_id": entry.id,
        "user_id": entry.user_id,
        "office_code": entry.office_code,
        "service_code": entry.service_code,
        "date": entry.date.isoformat(),
        "slot_id": entry.offer_slot_id,
        "start": start,
        "expires_at": entry.offer_expires_at.isoformat(),
    }
