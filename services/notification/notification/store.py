"""The delivery log and booking references in notification's database: the SQL, nothing else."""

import uuid
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from notification.models import BookingRef, Delivery

FINAL = ("sent", "failed", "skipped")


def accept(session, envelope, planned, now, timer_after):
    """Queue one delivery per channel of ``planned``; returns the ids queued (none twice for one event).

    The handler that queues them tries them at once; the timer takes them only after ``timer_after`` (the
    handler died first). Otherwise, under load, the timer would take fresh rows one by one from the
    handlers that run in parallel."""
    ids = []
    for channel in planned.channels:
        stmt = (
            pg_insert(Delivery)
            .values(
                id=str(uuid.uuid4()),
                event_id=str(envelope["event_id"]),
                event_type=envelope["type"],
                message_type=planned.message_type,
                channel=channel,
                user_id=planned.user_id,
                booking_id=planned.booking_id,
                status="pending",
                attempts=0,
                next_attempt_at=timer_after,
                data=envelope["data"],
                request_id=envelope.get("request_id"),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        )
        ids.extend(session.execute(stmt).scalars().all())
    return ids


def record_booking(session, facts, now):
    """Create or update what we know of a booking; an update for a booking we never saw is ignored."""
    facts = dict(facts, updated_at=now)
    if "reservation_code" in facts:
        stmt = pg_insert(BookingRef).values(**facts)
        stmt = stmt.on_conflict_do_update(
            index_elements=[BookingRef.booking_id],
            set_={k: stmt.excluded[k] for k in facts if k != "booking_id"},
        )
        session.execute(stmt)
    else:
        changes = {k: v for k, v in facts.items() if k != "booking_id" and (v is not None or k == "status")}
        session.execute(update(BookingRef).where(BookingRef.booking_id == facts["booking_id"]).values(**changes))


def booking(session, booking_id):
    row = session.get(BookingRef, booking_id)
    if row is None:
        return None
    return {
        "booking_id": row.booking_id,
        "reservation_code": row.reservation_code,
        "user_id": row.user_id,
        "office_code": row.office_code,
        "service_code": row.service_code,
        "date": row.date.isoformat() if row.date else None,
        "start": row.start,
        "status": row.status,
    }


def claim(session, now, lease, limit, ids=None):
    """Take up to ``limit`` due deliveries for this worker (replicas skip each other's rows), counting the
    attempt. A row left 'sending' by a worker that died is due again when its lease runs out. With ``ids``:
    just these rows if still pending, due or not (the first attempt, by the handler that queued them)."""
    if ids is not None:
        due = and_(Delivery.status == "pending", Delivery.id.in_(ids))
    else:
        due = or_(
            and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
            and_(Delivery.status == "sending", Delivery.claimed_until < now),
        )
    query = select(Delivery).where(due).order_by(Delivery.next_attempt_at).limit(limit)
    rows = session.execute(query.with_for_update(skip_locked=True)).scalars().all()
    claimed = []
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.claimed_until = now + timedelta(seconds=lease)
        row.updated_at = now
        claimed.append(
            {
                "id": row.id,
                "event_id": row.event_id,
                "message_type": row.message_type,
                "channel": row.channel,
                "user_id": row.user_id,
                "booking_id": row.booking_id,
                "attempts": row.attempts,
                "data": row.data or {},
            }
        )
    return claimed


def backlog(session, now):
    """(deliveries not final yet, age in seconds of the oldest): what an SRE alerts on."""
    count, oldest = session.execute(
        select(func.count(), func.min(Delivery.created_at)).where(Delivery.status.in_(("pending", "sending")))
    ).one()
    return count, (now - oldest).total_seconds() if oldest else 0.0


def purge(session, before, limit=5000):
    """Forget final deliveries last touched before ``before``, and bookings whose day is before it."""
    old = (
        select(Delivery.id)
        .where(Delivery.status.in_(FINAL), Delivery.updated_at < before)
        .limit(limit)
        .scalar_subquery()
    )
    deleted = session.execute(delete(Delivery).where(Delivery.id.in_(old))).rowcount
    session.execute(delete(BookingRef).where(BookingRef.date < before.date()))
    return deleted


def finish(session, delivery_id, now, *, status, error=None, provider_id=None, next_attempt_at=None):
    values = {"status": status, "last_error": error, "claimed_until": None, "updated_at": now}
    if status in FINAL:
        values["data"] = None  # the OTP and the rest of the event leave the database with the message
    if status == "sent":
        values.update(provider_id=provider_id, sent_at=now)
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
