"""Bookings: create without overbooking, cancel, reschedule, and the timers' sweeps.

Overbooking is impossible by construction: a seat is taken with one conditional UPDATE of the slot
(``booked_minutes + d <= capacity_minutes``), which PostgreSQL serialises on the slot's row; a check
constraint backs it up. One active booking per person and service is a partial unique index. Both happen
in the transaction that writes the booking and its events, so either all of it is committed or nothing.
"""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from antre_common import reservation_code as codes
from antre_common.idempotency import IdempotencyRecords, request_hash
from scheduling import events, fees, waitlist
from scheduling.exceptions import (
    AlreadyBooked,
    BookingNotActive,
    BookingNotFound,
    CancelTooLate,
    RescheduleLimitReached,
    RescheduleTooLate,
    SlotFull,
    SlotMismatch,
    SlotNotFound,
    SlotUnavailable,
)
from scheduling.models import Booking, IdempotencyRecord, Office, Slot

ACTIVE_INDEX = "uq_booking_active_person"
CODE_ATTEMPTS = 5
CODE_CONSTRAINT = "booking_reservation_code_key"
IDEMPOTENCY_TTL = timedelta(days=1)  # a client retries within minutes; a day is ample


def booking_dto(booking, timezone):
    tz = ZoneInfo(timezone)
    start, end = booking.start_at.astimezone(tz), booking.end_at.astimezone(tz)
    return {
        "booking_id": booking.id,
        "reservation_code": booking.reservation_code,
        "status": booking.status,
        "user_id": booking.user_id,
        "person_id": booking.person_id or booking.user_id,
        "office_code": booking.office_code,
        "service_code": booking.service_code,
        "slot_id": booking.slot_id,
        "date": start.date().isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "reschedule_count": booking.reschedule_count,
        "priority": booking.priority,
        "disruption_id": getattr(booking, "disruption_id", None),
        "created_at": booking.created_at.isoformat(),
        **fees.view(booking),
    }


def _timezone(session, office_code):
    return session.scalar(select(Office.timezone).where(Office.code == office_code))


def dto(session, booking):
    return booking_dto(booking, _timezone(session, booking.office_code))


RECORDS = IdempotencyRecords(IdempotencyRecord, owner="user_id")


def idempotent(session, user_id, key, payload, work):
    """Run ``work()`` once per (user, key): a repeat with the same payload gets the first result, a repeat
    with another payload is refused. Same-key requests are serialised by a transaction-scoped advisory
    lock, so two concurrent retries cannot both book."""
    return RECORDS.once(session, user_id, key, request_hash(payload), work)


def purge_idempotency(session, now, ttl=IDEMPOTENCY_TTL):
    """Forget Idempotency-Key records older than ``ttl`` (run by a timer); returns how many went."""
    return RECORDS.purge(session, now - ttl)


def _lock_slots(session, *slot_ids):
    """Lock slots in id order, so two transactions touching the same slots never wait on each other in a
    cycle (reschedules in opposite directions). FOR NO KEY UPDATE: booking inserts (FK KEY SHARE) pass."""
    session.execute(
        select(Slot.id).where(Slot.id.in_(sorted(set(slot_ids)))).order_by(Slot.id).with_for_update(key_share=True)
    ).all()


def _take_seat(session, slot_id, minutes, now, office_code=None):
    """Take ``minutes`` of the slot in one conditional UPDATE; explain precisely why not when it fails."""
    stmt = (
        update(Slot)
        .where(
            Slot.id == slot_id,
            Slot.closed.is_(False),
            Slot.start_at > now,
            Slot.booked_minutes + minutes <= Slot.capacity_minutes,
        )
        .values(booked_minutes=Slot.booked_minutes + minutes, booked_count=Slot.booked_count + 1)
        .returning(Slot.office_code, Slot.start_at, Slot.end_at)
    )
    if office_code is not None:
        stmt = stmt.where(Slot.office_code == office_code)
    row = session.execute(stmt).first()
    if row is not None:
        return row
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound("no such slot", slot_id=slot_id)
    if office_code is not None and slot.office_code != office_code:
        raise SlotMismatch("the slot belongs to another office", slot_id=slot_id)
    if slot.closed or slot.start_at <= now:
        raise SlotUnavailable("the slot is closed or has started", slot_id=slot_id)
    raise SlotFull("no seat left in this slot", slot_id=slot_id)


def _return_seat(session, slot_id, minutes):
    session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(booked_minutes=Slot.booked_minutes - minutes, booked_count=Slot.booked_count - 1)
    )


def _slot_ref(booking, tz):
    start = booking.start_at.astimezone(ZoneInfo(tz))
    return {"slot_id": booking.slot_id, "date": start.date().isoformat(), "start": start.isoformat()}


# One statement takes the seat and writes the booking. The conditional UPDATE is the only judge of a seat
# (PostgreSQL skips a slot that is full in its snapshot without waiting for the row lock, so a crowd finding
# it full is answered at once), and a second active booking of the person fails the whole statement on the
# partial unique index, so a seat is never taken without its booking. No ORM on this path: it is the hot one.
_BOOK = text(
    """
    WITH seat AS (
        UPDATE slot SET booked_minutes = booked_minutes + :minutes, booked_count = booked_count + 1
        WHERE id = CAST(:slot_id AS uuid) AND NOT closed AND start_at > :now
          AND booked_minutes + :minutes <= capacity_minutes
        RETURNING id, office_code, start_at, end_at
    )
    INSERT INTO booking (id, reservation_code, user_id, person_ref, person_id, office_code, service_code, slot_id,
                         start_at, end_at, minutes, status, reschedule_count, created_at, updated_at,
                         billing_code, fee_amount, payment_expires_at, priority)
    SELECT CAST(:id AS uuid), :code, CAST(:user_id AS uuid), :person_ref, CAST(:person_id AS uuid), office_code,
           :service_code, id, start_at, end_at, :minutes, :status, 0, :now, :now, :billing_code, :fee_amount,
           :payment_expires_at, :priority
    FROM seat
    RETURNING office_code, start_at, end_at
    """
)


class CodeCollision(Exception):
    """The new reservation code exists already (about one in 2^40 per booking): the transaction is retried."""


def create(
    session, db, now, *, user_id, person_ref, slot_id, service, timezone_of, booking_id=None, bill=None, priority=None,
    person_id=None,
):  # fmt: skip
    """``service`` is the catalogue entry (``code``, ``duration_minutes``); ``timezone_of(office_code)``; ``bill``
    (with its ``booking_id``): the service has a fee, the booking awaits its payment (``payments.bill_for``);
    ``priority``: what the citizen declared (lansia, disabilitas, …), confirmed at check-in; ``person_id``: whom
    it is for (the holder, or one of their dependents).

    Raises ``CodeCollision`` after which the caller retries in a new transaction (``retry_code_collision``)."""
    minutes = service["duration_minutes"]
    params = {
        **fees.columns(bill),
        "id": booking_id or str(uuid.uuid4()),
        "code": codes.new_code(),
        "user_id": user_id,
        "person_ref": person_ref,
        "person_id": person_id or user_id,
        "service_code": service["code"],
        "slot_id": slot_id,
        "minutes": minutes,
        "now": now,
        "priority": priority,
    }
    try:
        row = session.execute(_BOOK, params).first()
    except IntegrityError as exc:
        constraint = _constraint(exc)
        if constraint == ACTIVE_INDEX:
            raise AlreadyBooked("this person has an active booking", service_code=service["code"]) from None
        if constraint == CODE_CONSTRAINT:
            raise CodeCollision() from None
        raise
    if row is None:
        _why_no_seat(session, slot_id, now)
    booking = Booking(
        id=params["id"],
        reservation_code=params["code"],
        user_id=user_id,
        person_id=params["person_id"],
        office_code=row.office_code,
        service_code=service["code"],
        slot_id=slot_id,
        start_at=row.start_at,
        end_at=row.end_at,
        status=params["status"],
        reschedule_count=0,
        created_at=now,
        billing_code=params["billing_code"],
        fee_amount=params["fee_amount"],
        payment_expires_at=params["payment_expires_at"],
        priority=priority,
    )
    tz = timezone_of(row.office_code)
    result = booking_dto(booking, tz)
    events.emit(
        db, "booking_created", events.booking_created(result), integration=events.booking_integration(booking, tz)
    )
    return result


def create_on_held_seat(session, db, now, *, user_id, person_ref, slot, service_code, minutes, timezone):
    """A booking on a seat already held for this person (a waitlist offer): the row and its event only."""
    booking = Booking(
        id=str(uuid.uuid4()),
        reservation_code=codes.new_code(),
        user_id=user_id,
        person_ref=person_ref,
        office_code=slot.office_code,
        service_code=service_code,
        slot_id=slot.id,
        start_at=slot.start_at,
        end_at=slot.end_at,
        minutes=minutes,
        status="confirmed",
        reschedule_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        if _constraint(exc) == ACTIVE_INDEX:
            raise AlreadyBooked("this person has an active booking", service_code=service_code) from None
        raise CodeCollision() from None
    result = booking_dto(booking, timezone)
    events.emit(
        db, "booking_created", events.booking_created(result), integration=events.booking_integration(booking, timezone)
    )
    return result


def hand_over(session, db, now, *, person_id, holder_id):
    """A dependent registered their own account (whose id is their person_id): the future bookings the holder
    made for them become theirs. Past and finished ones stay in the holder's history. Each moved booking is
    told in ``booking_transferred`` (documents moves its copy). Returns the codes."""
    rows = session.execute(
        update(Booking)
        .where(
            Booking.person_id == person_id,
            Booking.user_id == holder_id,
            Booking.status == "confirmed",
            Booking.start_at > now,
        )
        .values(user_id=person_id, updated_at=now)
        .returning(Booking.id, Booking.reservation_code)
    ).all()
    for row in rows:
        events.emit(db, "booking_transferred", events.booking_transferred(row.id, row.reservation_code, person_id,
                                                                            holder_id))  # fmt: skip
    return [r.reservation_code for r in rows]


def retry_code_collision(attempt):
    """``attempt()`` (one whole transaction) again with a new code while the code collides."""
    for n in range(CODE_ATTEMPTS):
        try:
            return attempt()
        except CodeCollision:
            if n == CODE_ATTEMPTS - 1:
                raise


def _why_no_seat(session, slot_id, now):
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound("no such slot", slot_id=slot_id)
    if slot.closed or slot.start_at <= now:
        raise SlotUnavailable("the slot is closed or has started", slot_id=slot_id)
    raise SlotFull("no seat left in this slot", slot_id=slot_id)


def _constraint(exc):
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    return getattr(diag, "constraint_name", None)


def find(session, reservation_code, *, lock=False):
    code = codes.normalise(reservation_code)
    if code is None:
        raise BookingNotFound("no such booking")
    query = select(Booking).where(Booking.reservation_code == code)
    booking = session.scalar(query.with_for_update() if lock else query)
    if booking is None:
        raise BookingNotFound("no such booking")
    return booking


def owned(session, reservation_code, user_id, *, lock=False):
    booking = find(session, reservation_code, lock=lock)
    if user_id is not None and booking.user_id != user_id:
        raise BookingNotFound("no such booking")  # someone else's: do not reveal that it exists
    return booking


def list_for_user(session, user_id):
    rows = session.scalars(
        select(Booking).where(Booking.user_id == user_id).order_by(Booking.start_at.desc()).limit(100)
    ).all()
    zones = {}
    out = []
    for b in rows:
        if b.office_code not in zones:
            zones[b.office_code] = _timezone(session, b.office_code)
        out.append(booking_dto(b, zones[b.office_code]))
    return out


def cancel(session, db, settings, now, *, reservation_code, user_id, reason="citizen"):
    booking = owned(session, reservation_code, user_id, lock=True)
    if booking.status == "cancelled":
        # A retry (the answer to the first cancel was lost): the same answer again, nothing changes.
        return dto(session, booking)
    if booking.status not in ("confirmed", "awaiting_payment"):
        raise BookingNotActive("only a confirmed booking can be cancelled", status=booking.status)
    if now >= booking.start_at - timedelta(minutes=settings.cancel_cutoff_minutes):
        raise CancelTooLate("the slot has started", cutoff_minutes=settings.cancel_cutoff_minutes)
    _return_seat(session, booking.slot_id, booking.minutes)
    booking.status, booking.cancel_reason, booking.updated_at = "cancelled", reason, now
    waitlist.seat_freed(session, db, settings, now, booking.slot_id)
    tz = _timezone(session, booking.office_code)
    result = booking_dto(booking, tz)
    events.emit(
        db,
        "booking_cancelled",
        events.booking_cancelled(booking, result["date"], reason),
        integration=events.booking_integration(booking, tz, reason=reason),
    )
    return result


def reschedule(session, db, settings, now, *, reservation_code, user_id, slot_id):
    booking = owned(session, reservation_code, user_id, lock=True)
    if booking.status != "confirmed":
        raise BookingNotActive("only a confirmed booking can be rescheduled", status=booking.status)
    if slot_id == booking.slot_id and booking.reschedule_count > 0:
        # A retry of the reschedule that put it here (its answer was lost): the booking as it is.
        return dto(session, booking)
    # A disruption grants a move that does not count, even inside the usual notice (disruptions.py).
    if booking.reschedule_count >= settings.reschedule_max + (booking.free_reschedules or 0):
        raise RescheduleLimitReached("this booking was already rescheduled", limit=settings.reschedule_max)
    if booking.disruption_id is None and booking.start_at - now < timedelta(hours=settings.reschedule_min_hours):
        raise RescheduleTooLate("too close to the slot", min_hours=settings.reschedule_min_hours)
    if slot_id == booking.slot_id:
        raise SlotMismatch("the booking is already on this slot", slot_id=slot_id)
    if not isinstance(slot_id, str) or session.get(Slot, slot_id) is None:
        raise SlotNotFound("no such slot", slot_id=slot_id)
    tz = _timezone(session, booking.office_code)
    old = _slot_ref(booking, tz)
    _lock_slots(session, slot_id, booking.slot_id)
    _, start_at, end_at = _take_seat(session, slot_id, booking.minutes, now, office_code=booking.office_code)
    _return_seat(session, booking.slot_id, booking.minutes)
    session.flush()
    waitlist.seat_freed(session, db, settings, now, booking.slot_id)
    booking.slot_id, booking.start_at, booking.end_at = slot_id, start_at, end_at
    booking.reschedule_count += 1
    booking.disruption_id = None  # moved out of it
    booking.reminder_sent_at = None  # the reminder is for the new time
    booking.updated_at = now
    new = _slot_ref(booking, tz)
    events.emit(
        db,
        "booking_rescheduled",
        events.booking_rescheduled(booking, old, new),
        integration=events.booking_integration(booking, tz, old_start=old["start"]),
    )
    return booking_dto(booking, tz)


def send_reminders(session, db, settings, now, limit=500):
    """``reminder_due`` once per booking (and again after a reschedule), ``reminder_hours`` before its slot."""
    due = session.scalars(
        select(Booking)
        .where(
            Booking.status == "confirmed",
            Booking.reminder_sent_at.is_(None),
            Booking.start_at > now,
            Booking.start_at <= now + timedelta(hours=settings.reminder_hours),
        )
        .order_by(Booking.start_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in due:
        booking.reminder_sent_at = now
        db.add_event("reminder_due", events.reminder_due(booking, _timezone(session, booking.office_code), now))
    return len(due)


def mark_no_shows(session, db, settings, now, limit=500):
    """A confirmed booking not checked in by its slot's end plus the grace period becomes a no-show."""
    late = session.scalars(
        select(Booking)
        .where(
            Booking.status == "confirmed",
            Booking.end_at < now - timedelta(minutes=settings.no_show_grace_minutes),
        )
        .order_by(Booking.start_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for booking in late:
        booking.status, booking.updated_at = "no_show", now
        db.add_event("booking_no_show", events.booking_no_show(booking))
    return len(late)
