"""The office's queue today: check-ins of booked citizens, walk-ins, calling the next visitor to a counter,
and the ticket's steps to completion. Priority visitors (lansia, disabilitas, ibu_hamil, anak) go first;
otherwise first come, first served, booked and walk-in alike (a booking guarantees the day's place, not a
jump over people already waiting)."""

import math
import uuid

from sqlalchemy import func, select, text

from scheduling import capacity, events, floor
from scheduling.bookings import find, idempotent
from scheduling.exceptions import (
    BookingNotActive,
    BookingNotFound,
    CheckInWrongDay,
    CounterClosed,
    ServiceNotFound,
    TicketInvalidTransition,
    TicketNotFound,
    ValidationError,
)
from scheduling.models import Booking, Office, Service, Ticket

PRIORITIES = ("lansia", "disabilitas", "ibu_hamil", "anak")
# step: (allowed from, to, booking status after, timestamp field)
STEPS = {
    "start": ("called", "serving", "serving", "started_at"),
    "complete": ("serving", "completed", "completed", "finished_at"),
    "no_show": ("called", "no_show", "no_show", "finished_at"),
}


def ticket_dto(ticket, reservation_code=None):
    return {
        "ticket_id": ticket.id,
        "ticket_number": ticket.ticket_number,
        "kind": ticket.kind,
        "priority": ticket.priority,
        "status": ticket.status,
        "service_code": ticket.service_code,
        "office_code": ticket.office_code,
        "counter": ticket.counter,
        "reservation_code": reservation_code,
        "issued_at": ticket.issued_at.isoformat(),
    }


def _issue(session, db, now, office, *, kind, service_code, priority=None, booking=None, guard=None):
    """``guard(day, kind, priority, service_code)`` runs under the office lock (the floor's quotas)."""
    day = capacity.local_today(now, office.timezone)
    # The office row serialises numbering; numbers restart every day. FOR NO KEY UPDATE, not FOR UPDATE:
    # it must not block the KEY SHARE that every booking/ticket insert at the office takes (its FK check).
    session.execute(select(Office.code).where(Office.code == office.code).with_for_update(key_share=True))
    if guard is not None:
        guard(day, kind=kind, priority=priority, service_code=service_code)
    issued = session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.office_code == office.code, Ticket.day == day)
    )
    prefix = "P" if priority else ("B" if kind == "booked" else "W")
    ticket = Ticket(
        id=str(uuid.uuid4()),
        office_code=office.code,
        day=day,
        ticket_number=f"{prefix}{issued + 1:03d}",
        kind=kind,
        priority=priority,
        status="waiting",
        service_code=service_code,
        booking_id=booking.id if booking else None,
        issued_at=now,
    )
    session.add(ticket)
    data = events.ticket_issued(ticket_dto(ticket))
    events.emit(db, "ticket_issued", data, integration=data)
    return ticket


def check_in(session, db, now, office, reservation_code, *, priority=None, actor_id=None, guard=None):
    """Idempotent: checking in twice returns the same ticket. ``priority`` (the officer's, else the one
    declared at booking) puts the visitor first. A booking the sweep marked no-show can still be checked in
    on its own day (a late arrival who never got a ticket)."""
    booking = find(session, reservation_code, lock=True)
    if booking.office_code != office.code:
        raise BookingNotFound("no such booking at this office")
    existing = session.scalar(select(Ticket).where(Ticket.booking_id == booking.id))
    if existing is not None:
        return ticket_dto(existing, booking.reservation_code)
    if booking.status not in ("confirmed", "no_show"):
        raise BookingNotActive("the booking is not confirmed", status=booking.status)
    booking_day = capacity.local_today(booking.start_at, office.timezone)
    if booking_day != capacity.local_today(now, office.timezone):
        if booking.status != "confirmed":
            raise BookingNotActive("the booking is not confirmed", status=booking.status)
        raise CheckInWrongDay("the booking is for another day", date=booking_day.isoformat())
    booking.status, booking.updated_at = "checked_in", now
    priority = priority or booking.priority
    ticket = _issue(session, db, now, office, kind="booked", service_code=booking.service_code, booking=booking,
                    priority=priority, guard=guard)  # fmt: skip
    floor.audit(session, now, ticket, "check_in", actor_id, booking, priority=priority, identity_confirmed=True)
    return ticket_dto(ticket, booking.reservation_code)


def walk_in(session, db, now, office, service_code, priority=None, *, staff_id=None, idempotency_key=None, guard=None):
    """A visitor without a booking (the name, if given, is for the officer only and not stored). With an
    Idempotency-Key (per staff user), a retried request gets the first ticket instead of a second one."""

    def issue():
        if session.get(Service, service_code) is None:
            raise ServiceNotFound("no such service", service_code=service_code)
        ticket = _issue(session, db, now, office, kind="walk_in", service_code=service_code, priority=priority,
                        guard=guard)  # fmt: skip
        return ticket_dto(ticket)

    if staff_id is None:
        return issue()
    payload = {"op": "walk_in", "office_code": office.code, "service_code": service_code, "priority": priority}
    return idempotent(session, staff_id, idempotency_key, payload, issue)


def parse_counter(counter, office):
    """The counter number as the URL gives it: not an integer VALIDATION_ERROR (the OpenAPI document says
    integer); an integer that is not one of the office's counters 1..office.counters COUNTER_CLOSED (the
    document cannot know an office's counters, and a transfer to such a counter answers the same)."""
    text_value = str(counter).strip()
    if not text_value.isascii() or not text_value.isdigit() or len(text_value) > 6:
        raise ValidationError("invalid counter", errors={"counter": ["an integer"]}, counter=str(counter)[:20])
    if not 1 <= int(text_value) <= office.counters:
        raise CounterClosed("that counter is not open", counter=text_value[:10], counters=office.counters)
    return str(int(text_value))


def call_next(session, db, now, office, counter, every_k=2):
    """The next waiting ticket to ``counter``, or None. Concurrent counters never get the same ticket. A
    counter that already has a called ticket today gets that one again (a retried call-next, or the officer
    calling the same visitor once more): move it on (start / no-show) to call the next."""
    counter = parse_counter(counter, office)
    day = capacity.local_today(now, office.timezone)
    # One call-next per counter at a time, so a retry racing the first call cannot call a second visitor.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"call-next:{office.code}:{day.isoformat()}:{counter}"},
    )
    current = session.scalar(
        select(Ticket)
        .where(
            Ticket.office_code == office.code, Ticket.day == day, Ticket.counter == counter, Ticket.status == "called"
        )
        .order_by(Ticket.called_at.desc())
        .limit(1)
    )
    if current is not None:
        booking = session.get(Booking, current.booking_id) if current.booking_id else None
        return ticket_dto(current, booking.reservation_code if booking else None)
    ticket = floor.pick_next(session, office, day, counter, every_k)
    if ticket is None:
        return None
    ticket.status, ticket.counter, ticket.called_at = "called", counter, ticket.called_at or now
    booking = session.get(Booking, ticket.booking_id) if ticket.booking_id else None
    if booking is not None:
        booking.status, booking.updated_at = "called", now
    db.add_event("ticket_called", events.ticket_called(ticket, counter, booking))
    return ticket_dto(ticket, booking.reservation_code if booking else None)


def step(session, db, now, ticket_id, action, office_code=None):
    """start / complete / no_show; ``office_code`` (staff) must be the ticket's office (None: admin)."""
    ticket = session.get(Ticket, ticket_id, with_for_update=True) if ticket_id else None
    if ticket is None or (office_code is not None and ticket.office_code != office_code):
        raise TicketNotFound("no such ticket")
    allowed, to, booking_status, stamp = STEPS[action]
    if ticket.status == to:  # a retry of this very step: the ticket as it is, nothing happens twice
        booking = session.get(Booking, ticket.booking_id) if ticket.booking_id else None
        return ticket_dto(ticket, booking.reservation_code if booking else None)
    if ticket.status != allowed:
        raise TicketInvalidTransition(f"cannot {action} a ticket that is {ticket.status}", status=ticket.status)
    ticket.status = to
    setattr(ticket, stamp, now)
    booking = session.get(Booking, ticket.booking_id) if ticket.booking_id else None
    if booking is not None:
        booking.status, booking.updated_at = booking_status, now
    if action == "complete":
        _ticket_completed(db, ticket, booking)
    if action == "no_show":
        db.add_event("ticket_no_show", events.ticket_no_show(ticket))
        if booking is not None:
            _booking_no_show(db, booking)
    return ticket_dto(ticket, booking.reservation_code if booking else None)


def _ticket_completed(db, ticket, booking):
    internal, integration = events.ticket_completed(ticket, booking)
    events.emit(db, "ticket_completed", internal, integration=integration)


def _booking_no_show(db, booking):
    db.add_event("booking_no_show", events.booking_no_show(booking))


def close_previous_days(session, db, now, limit=500):
    """End of day: tickets of earlier office-local days still open (waiting, called or serving: the
    officer never finished them) are closed, so their bookings stop blocking the person's next booking.
    Waiting/called → no_show (and ``booking_no_show`` for a booked visitor); serving → completed (with
    ``ticket_completed``). Returns how many tickets were closed."""
    office_today = func.date(func.timezone(Office.timezone, now))
    stale = session.scalars(
        select(Ticket)
        .join(Office, Office.code == Ticket.office_code)
        .where(Ticket.status.in_(("waiting", "called", "serving")), Ticket.day < office_today)
        .order_by(Ticket.issued_at)
        .limit(limit)
        .with_for_update(of=Ticket, skip_locked=True)
    ).all()
    for ticket in stale:
        booking = session.get(Booking, ticket.booking_id, with_for_update=True) if ticket.booking_id else None
        ticket.finished_at = now
        if ticket.status == "serving":
            ticket.status = "completed"
            if booking is not None:
                booking.status, booking.updated_at = "completed", now
            _ticket_completed(db, ticket, booking)
        else:
            ticket.status = "no_show"
            if booking is not None:
                booking.status, booking.updated_at = "no_show", now
                _booking_no_show(db, booking)
    return len(stale)


def waiting(session, now, office):
    day = capacity.local_today(now, office.timezone)
    rows = session.execute(
        select(Ticket, Booking.reservation_code)
        .outerjoin(Booking, Booking.id == Ticket.booking_id)
        .where(Ticket.office_code == office.code, Ticket.day == day, Ticket.status == "waiting")
        .order_by(Ticket.priority.is_(None), Ticket.issued_at)
    ).all()
    return [ticket_dto(t, code) for t, code in rows]


def board(session, now, office, durations):
    """Public board: who is called where, how many wait, and the wait of the last in line: the work waiting
    (measured mean service time, else the services' durations) over the counters open now."""
    day = capacity.local_today(now, office.timezone)
    serving = session.scalars(
        select(Ticket)
        .where(Ticket.office_code == office.code, Ticket.day == day, Ticket.status.in_(("called", "serving")))
        .order_by(Ticket.called_at.desc())
        .limit(20)
    ).all()
    queued = session.scalars(
        select(Ticket.service_code).where(
            Ticket.office_code == office.code, Ticket.day == day, Ticket.status == "waiting"
        )
    ).all()
    measured = floor.measured_service_minutes(session, office.code, day)
    minutes = sum(measured or durations.get(code, floor.DEFAULT_SERVICE_MINUTES) for code in queued)
    return {
        "now_serving": [{"ticket_number": t.ticket_number, "counter": t.counter} for t in serving],
        "waiting": len(queued),
        "estimated_wait_minutes": math.ceil(minutes / floor.open_counters(session, office, now, day)),
    }
