"""The waitlist: a seat that frees is held for the first person waiting for that office and day, offered with
a deadline, booked on accept, and passed to the next person when the offer runs out.

Nothing is offered twice or lost: a freed seat is held (the slot's minutes stay taken) and offered in the
transaction that freed it, with the ``waitlist_offer`` event in the same transaction's outbox; an offer that
runs out is expired, its seat returned and offered to the next person in one transaction of the sweep. A
process that dies anywhere in between leaves either the old offer or the new one, never both or neither.

``seat_freed`` is the one entry for "seats of this slot came back": cancel and reschedule call it, and so
does anything else that returns a seat (an unpaid booking that expires).
"""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from scheduling import availability, bookings, catalogue, events
from scheduling.exceptions import (
    AlreadyBooked,
    OfferNotActive,
    SeatsAvailable,
    WaitlistNotForPrepaid,
    WaitlistNotFound,
)
from scheduling.models import Slot, WaitlistEntry

LIVE = ("waiting", "offered")


def _local(moment, tz):
    return moment.astimezone(ZoneInfo(tz)).isoformat()


def dto(entry, tz=None, slot=None):
    out = {
        "waitlist_id": entry.id,
        "office_code": entry.office_code,
        "service_code": entry.service_code,
        "date": entry.date.isoformat(),
        "status": entry.status,
        "created_at": entry.created_at.isoformat(),
    }
    if entry.status == "offered" and slot is not None:
        out["offer"] = {
            "slot_id": entry.offer_slot_id,
            "start": _local(slot.start_at, tz),
            "expires_at": entry.offer_expires_at.isoformat(),
        }
    if entry.booking_id:
        out["booking_id"] = entry.booking_id
    return out


def _view(session, entry):
    tz = catalogue.get_office(session, entry.office_code).timezone
    slot = session.get(Slot, entry.offer_slot_id) if entry.offer_slot_id else None
    return dto(entry, tz, slot)


def position(session, entry):
    if entry.status != "waiting":
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.office_code == entry.office_code,
            WaitlistEntry.date == entry.date,
            WaitlistEntry.status == "waiting",
            WaitlistEntry.created_at < entry.created_at,
        )
    )
    return ahead + 1


def join(session, settings, now, *, user_id, person_ref, office_code, service_code, day):
    """Wait for a seat of a day in the released window that has none left for the service (else book)."""
    office = catalogue.get_office(session, office_code)
    service = catalogue.get_service(session, service_code)
    if service.prepaid:
        # A held seat is accepted as a confirmed booking (create_on_held_seat), which a fee service must not be
        # before its bill is paid: its seats come back at the deadline instead (payments.py).
        raise WaitlistNotForPrepaid("services paid before the visit have no waitlist", service_code=service_code)
    availability.date_range(office.timezone, settings, now, day, day)  # DATE_OUT_OF_WINDOW outside the window
    existing = session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.person_ref == person_ref,
            WaitlistEntry.office_code == office_code,
            WaitlistEntry.service_code == service_code,
            WaitlistEntry.date == day,
            WaitlistEntry.status.in_(LIVE),
        )
    )
    if existing is not None:  # joining again: the same entry
        return dict(_view(session, existing), position=position(session, existing))
    free = session.scalar(
        select(Slot.id)
        .where(
            Slot.office_code == office_code,
            Slot.date == day,
            Slot.closed.is_(False),
            Slot.start_at > now,
            Slot.capacity_minutes - Slot.booked_minutes >= service.duration_minutes,
        )
        .limit(1)
    )
    if free is not None:
        raise SeatsAvailable("this day has seats: book one instead", date=day.isoformat())
    entry = WaitlistEntry(
        id=str(uuid.uuid4()),
        user_id=user_id,
        person_ref=person_ref,
        office_code=office_code,
        service_code=service_code,
        date=day,
        minutes=service.duration_minutes,
        status="waiting",
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError:  # a concurrent double tap: the other one's entry
        raise AlreadyBooked("already on the waitlist for this day") from None
    return dict(_view(session, entry), position=position(session, entry))


def mine(session, user_id):
    rows = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.user_id == user_id)
        .order_by(WaitlistEntry.created_at.desc())
        .limit(50)
    ).all()
    return [dict(_view(session, e), position=position(session, e)) for e in rows]


def _owned(session, waitlist_id, user_id):
    try:
        key = str(uuid.UUID(str(waitlist_id)))
    except ValueError:
        raise WaitlistNotFound("no such waitlist entry") from None
    entry = session.scalar(select(WaitlistEntry).where(WaitlistEntry.id == key).with_for_update())
    if entry is None or entry.user_id != user_id:
        raise WaitlistNotFound("no such waitlist entry")
    return entry


def leave(session, db, settings, now, waitlist_id, user_id):
    """Leave the waitlist; a seat held for this person goes to the next one. Leaving twice changes nothing."""
    entry = _owned(session, waitlist_id, user_id)
    if entry.status not in LIVE:
        return _view(session, entry)
    held = entry.offer_slot_id if entry.status == "offered" else None
    entry.status, entry.updated_at = "cancelled", now
    if held:
        _release_hold(session, db, settings, now, entry)
    return _view(session, entry)


def accept(session, db, now, waitlist_id, user_id):
    """Book the held seat (its minutes are already taken: only the booking row is written)."""
    entry = _owned(session, waitlist_id, user_id)
    if entry.status != "offered" or entry.offer_expires_at <= now:
        raise OfferNotActive("no live offer to accept", status=entry.status)
    slot = session.get(Slot, entry.offer_slot_id)
    tz = catalogue.get_office(session, entry.office_code).timezone
    booking = bookings.create_on_held_seat(
        session, db, now, user_id=entry.user_id, person_ref=entry.person_ref, slot=slot,
        service_code=entry.service_code, minutes=entry.minutes, timezone=tz,
    )  # fmt: skip
    entry.status, entry.booking_id, entry.updated_at = "booked", booking["booking_id"], now
    return booking


def seat_freed(session, db, settings, now, slot_id):
    """Seats of ``slot_id`` came back: hold them for the first people waiting for that office and day whose
    service fits, oldest first, and offer them (``waitlist_offer``). Call it in the transaction that freed the
    seat, after the slot's minutes were returned. Returns the entries offered."""
    slot = session.scalar(
        select(Slot).where(Slot.id == slot_id).with_for_update(key_share=True).execution_options(populate_existing=True)
    )
    if slot is None or slot.closed or slot.start_at <= now:
        return []
    offered = []
    while True:
        free = slot.capacity_minutes - slot.booked_minutes
        # Not SKIP LOCKED: a concurrent change of the next person's entry is waited for, never jumped.
        entry = session.scalar(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.office_code == slot.office_code,
                WaitlistEntry.date == slot.date,
                WaitlistEntry.status == "waiting",
                WaitlistEntry.minutes <= free,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .limit(1)
            .with_for_update()
        )
        if entry is None:
            return offered
        slot.booked_minutes += entry.minutes
        slot.booked_count += 1
        entry.status, entry.offer_slot_id, entry.offered_at = "offered", slot.id, now
        entry.offer_expires_at = now + timedelta(seconds=settings.waitlist_offer_seconds)
        entry.updated_at = now
        session.flush()
        tz = catalogue.get_office(session, slot.office_code).timezone
        db.add_event("waitlist_offer", events.waitlist_offer(entry, _local(slot.start_at, tz)))
        offered.append(entry.id)


def _release_hold(session, db, settings, now, entry):
    session.execute(
        update(Slot)
        .where(Slot.id == entry.offer_slot_id)
        .values(booked_minutes=Slot.booked_minutes - entry.minutes, booked_count=Slot.booked_count - 1)
    )
    session.flush()
    return seat_freed(session, db, settings, now, entry.offer_slot_id)


def expire_offers(session, db, settings, now, limit=100):
    """Offers past their deadline: expired, and each held seat passed to the next person in the same
    transaction. Offers another replica is handling are skipped (SKIP LOCKED)."""
    due = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.offer_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    changed = set()
    for entry in due:
        entry.status, entry.updated_at = "expired", now
        _release_hold(session, db, settings, now, entry)
        changed.add((entry.office_code, entry.date))
    return changed
