"""The office floor beyond the basic queue: the day's bookings with their holders for the officer at check-in,
priority with a bound on how often it jumps the queue, walk-in and priority quotas, recall, transfer and
requeue (each an event and an audit row), and a checked-in citizen's place and expected wait.

Works on the session it is given (the transaction is opened by ``actions.Scheduling``)."""

import math
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from antre_common.context import current_request_id
from scheduling import capacity, events
from scheduling.exceptions import (
    CounterClosed,
    PriorityQuotaReached,
    RequeueDayOver,
    ServiceNotFound,
    TicketInvalidTransition,
    TicketNotFound,
    ValidationError,
    WalkInQuotaReached,
)
from scheduling.models import Booking, FloorAudit, Service, Ticket

OPEN_COUNTER_MINUTES = 60  # a counter that called someone this recently counts as open for the wait estimate
DEFAULT_SERVICE_MINUTES = 20
WAITING_ORDER = (Ticket.priority.is_(None), Ticket.issued_at)  # the queue as shown: priority first


# -- holders and the day's bookings (staff) ------------------------------------------------------------------


def age_on(birth_date, day):
    born = date.fromisoformat(birth_date) if isinstance(birth_date, str) else birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def derived_priority(declared, holder, day, elderly_age):
    """The declared priority, else ``lansia`` when the holder is ``elderly_age`` or older on the visit day."""
    if declared:
        return declared
    if holder and holder.get("birth_date") and age_on(holder["birth_date"], day) >= elderly_age:
        return "lansia"
    return None


def day_bookings(session, office, day):
    """``[(booking, ticket or None)]`` starting on one local day at the office, by start time (cancelled left
    out): by the booking's own start, the time check-in judges too."""
    start = datetime.combine(day, time(0), ZoneInfo(office.timezone))
    return session.execute(
        select(Booking, Ticket)
        .outerjoin(Ticket, Ticket.booking_id == Booking.id)
        .where(
            Booking.office_code == office.code,
            Booking.start_at >= start,
            Booking.start_at < start + timedelta(days=1),
            Booking.status != "cancelled",
        )
        .order_by(Booking.start_at, Booking.reservation_code)
    ).all()


# -- quotas ------------------------------------------------------------------------------------------------


def day_counter_minutes(layout, day):
    return sum((s.end_at - s.start_at).total_seconds() / 60 * layout.counters for s in capacity.day_slots(layout, day))


def quotas(session, office, layout, day, settings):
    """The day's walk-in share (what online booking leaves, 1 - online_share) and priority share
    (``PRIORITY_SHARE``) of the counter-minutes, and the minutes of tickets already issued against them."""
    total = day_counter_minutes(layout, day)
    minutes = func.coalesce(func.sum(Service.duration_minutes), 0)
    base = (
        select(minutes)
        .select_from(Ticket)
        .join(Service, Service.code == Ticket.service_code)
        .where(Ticket.office_code == office.code, Ticket.day == day)
    )
    walk_in_used = session.scalar(base.where(Ticket.kind == "walk_in"))
    priority_used = session.scalar(base.where(Ticket.priority.is_not(None)))
    return {
        "date": day.isoformat(),
        "capacity_minutes": round(total),
        "walk_in": {"limit_minutes": math.floor(total * (1 - layout.online_share)), "used_minutes": walk_in_used},
        "priority": {"limit_minutes": math.floor(total * settings.priority_share), "used_minutes": priority_used},
    }


def enforce_quotas(session, office, layout, day, settings, *, walk_in, priority, minutes):
    """Refuse a ticket that would take the day past its walk-in or priority share (nothing is written).
    Callers hold the office row lock (ticket numbering), so two tickets cannot both take the last minutes."""
    if not walk_in and not priority:
        return
    q = quotas(session, office, layout, day, settings)
    if q["capacity_minutes"] == 0:
        return  # a day without planned hours (the office opened anyway): no plan to take shares of
    if walk_in and q["walk_in"]["used_minutes"] + minutes > q["walk_in"]["limit_minutes"]:
        raise WalkInQuotaReached("the walk-in quota of the day is used up", **q["walk_in"])
    if priority and q["priority"]["used_minutes"] + minutes > q["priority"]["limit_minutes"]:
        raise PriorityQuotaReached("the priority quota of the day is used up", **q["priority"])


# -- calling: priority first, but not every call -----------------------------------------------------------


def pick_next(session, office, day, counter, every_k):
    """The ticket ``counter`` calls next, locked (SKIP LOCKED: concurrent counters never share one). Tickets
    transferred to this counter first; then priority first, unless one of the last ``every_k - 1`` calls of
    the day was a priority one while others wait; then by arrival. Other counters' transfers are skipped."""
    mine = or_(Ticket.counter.is_(None), Ticket.counter == counter)
    waiting = select(Ticket).where(
        Ticket.office_code == office.code, Ticket.day == day, Ticket.status == "waiting", mine
    )
    recent = session.scalars(
        select(Ticket.priority)
        .where(Ticket.office_code == office.code, Ticket.day == day, Ticket.called_at.is_not(None))
        .order_by(Ticket.called_at.desc())
        .limit(max(0, every_k - 1))
    ).all()
    order = [(Ticket.counter == counter).is_(True).desc()]
    if any(p is not None for p in recent):
        order.append(Ticket.priority.is_not(None))  # give the others this call (falls back to priority)
    else:
        order.append(Ticket.priority.is_(None))
    order.append(Ticket.issued_at)
    return session.scalar(waiting.order_by(*order).limit(1).with_for_update(skip_locked=True))


# -- recall, transfer, requeue --------------------------------------------------------------------------------


def audit(session, now, ticket, action, actor_id, booking=None, **detail):
    session.add(
        FloorAudit(
            id=str(uuid.uuid4()),
            occurred_at=now,
            office_code=ticket.office_code,
            actor_id=actor_id,
            action=action,
            ticket_id=ticket.id,
            subject_id=booking.user_id if booking is not None else None,
            detail=detail,
            request_id=current_request_id(),
        )
    )


def _booking_of(session, ticket):
    return session.get(Booking, ticket.booking_id, with_for_update=True) if ticket.booking_id else None


def ticket_of(session, booking_id):
    return session.scalar(select(Ticket).where(Ticket.booking_id == booking_id))


def ticket_for_move(session, ticket_id, office_code):
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None or (office_code is not None and ticket.office_code != office_code):
        raise TicketNotFound("no such ticket")
    return ticket


def recall(session, db, now, ticket, actor_id):
    """Call the called person again: ``ticket_called`` once more (they are told again, the board shows it)."""
    if ticket.status != "called":
        raise TicketInvalidTransition("only a called ticket can be recalled", status=ticket.status)
    booking = _booking_of(session, ticket)
    ticket.recalls = (ticket.recalls or 0) + 1
    db.add_event("ticket_called", events.ticket_called(ticket, ticket.counter, booking))
    audit(session, now, ticket, "recall", actor_id, booking, counter=ticket.counter, recall=ticket.recalls)
    return booking


def transfer(session, db, now, office, ticket, actor_id, counter=None, service_code=None):
    """Send a called (or serving) visitor on: to ``counter`` (waiting, and called there next) or to another
    ``service_code`` (waiting in the queue at their place of arrival). Repeating a transfer that is done
    changes nothing."""
    if (counter is None) == (service_code is None):
        raise ValidationError("give a counter or a service", errors={"_schema": ["counter or service_code"]})
    if counter is not None:
        counter = _open_counter(counter, office)
    elif session.get(Service, service_code) is None:
        raise ServiceNotFound("no such service", service_code=service_code)
    booking = _booking_of(session, ticket)
    if ticket.status == "waiting" and (ticket.counter, ticket.service_code) == (
        counter,
        service_code or ticket.service_code,
    ):
        return booking  # a retry of this transfer
    if ticket.status not in ("called", "serving"):
        raise TicketInvalidTransition("only a called or serving ticket can be transferred", status=ticket.status)
    before = {"counter": ticket.counter, "service_code": ticket.service_code}
    ticket.status, ticket.counter, ticket.started_at = "waiting", counter, None
    if service_code is not None:
        ticket.service_code = service_code
    if booking is not None:
        booking.status, booking.updated_at = "checked_in", now
    db.add_event("ticket_transferred", events.ticket_transferred(ticket))
    audit(session, now, ticket, "transfer", actor_id, booking, before=before, counter=counter,
          service_code=ticket.service_code)  # fmt: skip
    return booking


def _open_counter(counter, office):
    text_value = str(counter).strip()
    if not text_value.isascii() or not text_value.isdigit():
        raise ValidationError("invalid counter", errors={"counter": ["an integer"]})
    if not 1 <= int(text_value) <= office.counters:
        raise CounterClosed("that counter is not open", counter=text_value[:10], counters=office.counters)
    return str(int(text_value))


def requeue(session, db, now, office, ticket, actor_id):
    """A late arrival after a no-show, the same office-local day: back at the end of today's queue (the wait
    is measured again from now). A ticket already back waiting is returned as it is."""
    booking = _booking_of(session, ticket)
    if ticket.status == "waiting" and ticket.requeued_at is not None:
        return booking
    if ticket.status != "no_show":
        raise TicketInvalidTransition("only a no-show can rejoin the queue", status=ticket.status)
    if ticket.day != capacity.local_today(now, office.timezone):
        raise RequeueDayOver("a no-show rejoins only on its own day", date=ticket.day.isoformat())
    ticket.status, ticket.counter, ticket.requeued_at, ticket.issued_at = "waiting", None, now, now
    ticket.called_at = ticket.started_at = ticket.finished_at = None
    if booking is not None:
        booking.status, booking.updated_at = "checked_in", now
    db.add_event("ticket_requeued", events.ticket_requeued(ticket))
    audit(session, now, ticket, "requeue", actor_id, booking)
    return booking


# -- a citizen's place in the queue ------------------------------------------------------------------------


def measured_service_minutes(session, office_code, day, since_days=28):
    """Mean service minutes of tickets completed at the office recently (None before it has history)."""
    value = session.scalar(
        select(func.avg(func.extract("epoch", Ticket.finished_at - Ticket.started_at) / 60)).where(
            Ticket.office_code == office_code,
            Ticket.status == "completed",
            Ticket.started_at.is_not(None),
            Ticket.day > day - timedelta(days=since_days),
            Ticket.day <= day,
        )
    )
    return None if value is None else float(value)


def open_counters(session, office, now, day):
    """Counters that called someone in the last hour (at least one); all the office's before any call."""
    active = session.scalar(
        select(func.count(func.distinct(Ticket.counter))).where(
            Ticket.office_code == office.code,
            Ticket.day == day,
            Ticket.called_at >= now - timedelta(minutes=OPEN_COUNTER_MINUTES),
        )
    )
    return active or office.counters


def _ahead_of(ticket):
    earlier = Ticket.issued_at < ticket.issued_at
    if ticket.priority is None:
        return or_(Ticket.priority.is_not(None), and_(Ticket.priority.is_(None), earlier))
    return and_(Ticket.priority.is_not(None), earlier)


def ticket_view(session, now, office, ticket, durations):
    """``{ticket_number, status, position, expected_wait_minutes}``: position 1 is called next; the wait is
    the work ahead (measured mean service time, else the services' durations) over the open counters."""
    view = {"ticket_number": ticket.ticket_number, "status": ticket.status, "position": 0,
            "expected_wait_minutes": 0}  # fmt: skip
    if ticket.status != "waiting":
        return view
    ahead = session.scalars(
        select(Ticket.service_code).where(
            Ticket.office_code == office.code,
            Ticket.day == ticket.day,
            Ticket.status == "waiting",
            Ticket.id != ticket.id,
            _ahead_of(ticket),
        )
    ).all()
    measured = measured_service_minutes(session, office.code, ticket.day)
    work = sum(measured or durations.get(code, DEFAULT_SERVICE_MINUTES) for code in ahead)
    view["position"] = len(ahead) + 1
    view["expected_wait_minutes"] = math.ceil(work / open_counters(session, office, now, ticket.day))
    return view
