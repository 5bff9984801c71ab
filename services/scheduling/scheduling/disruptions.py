"""Disruptions: a supervisor declares the office's outage or closure for a period. Bookings in it are told
(``booking_disrupted``) and may reschedule once more without it counting against their limit, even within
the usual notice; slots in it take no new bookings; the status page lists current and coming ones
(``disruption_declared``)."""

import uuid

from sqlalchemy import select, update

from scheduling import events
from scheduling.exceptions import DisruptionInPast, DisruptionOverlaps, OfficeNotFound, ValidationError
from scheduling.models import Booking, Disruption, Office, Slot


def view(d, tz=None):
    return {
        "disruption_id": d.id,
        "office_code": d.office_code,
        "from": d.starts_at.isoformat(),
        "to": d.ends_at.isoformat(),
        "reason": d.reason,
        "declared_at": d.declared_at.isoformat(),
    }


def declare(session, db, now, office_code, starts_at, ends_at, reason, actor_id=None):
    if ends_at <= starts_at:
        raise ValidationError("the end is not after the start", errors={"to": ["must be after from"]})
    if ends_at <= now:
        raise DisruptionInPast("the period has already ended", to=ends_at.isoformat())
    # FOR NO KEY UPDATE on the office: two supervisors declaring at once are judged one after the other.
    office = session.get(Office, office_code, with_for_update={"key_share": True})
    if office is None:
        raise OfficeNotFound("no such office", office_code=office_code)
    clash = session.scalar(
        select(Disruption).where(
            Disruption.office_code == office_code, Disruption.starts_at < ends_at, Disruption.ends_at > starts_at
        )
    )
    if clash is not None:
        raise DisruptionOverlaps("another disruption covers part of this period", disruption_id=clash.id,
                                 **{"from": clash.starts_at.isoformat(), "to": clash.ends_at.isoformat()})  # fmt: skip
    d = Disruption(id=str(uuid.uuid4()), office_code=office_code, starts_at=starts_at, ends_at=ends_at,
                   reason=reason, declared_by=actor_id, declared_at=now)  # fmt: skip
    session.add(d)
    affected = session.scalars(
        select(Booking)
        .where(
            Booking.office_code == office_code,
            Booking.status == "confirmed",
            Booking.start_at < ends_at,
            Booking.end_at > starts_at,
        )
        .with_for_update()
    ).all()
    for booking in affected:
        booking.disruption_id = d.id
        booking.free_reschedules = (booking.free_reschedules or 0) + 1
        booking.updated_at = now
        db.add_event("booking_disrupted", events.booking_disrupted(booking, office.timezone, d))
    closed = (
        session.execute(
            update(Slot)
            .where(Slot.office_code == office_code, Slot.start_at < ends_at, Slot.end_at > starts_at, ~Slot.closed)
            .values(closed=True)
            .returning(Slot.date)
        )
        .scalars()
        .all()
    )
    session.flush()
    db.add_event("disruption_declared", events.disruption_declared(d, len(affected)))
    if closed:
        db.add_event(events.AVAILABILITY_CHANGED, events.availability_changed(office_code, set(closed)))
    return dict(view(d), affected_bookings=len(affected)), sorted(set(closed))


def current(session, now, office_code=None):
    """Disruptions not yet over (all offices, or one), soonest first."""
    stmt = select(Disruption).where(Disruption.ends_at > now).order_by(Disruption.starts_at)
    if office_code:
        stmt = stmt.where(Disruption.office_code == office_code)
    return [view(d) for d in session.scalars(stmt.limit(200))]
