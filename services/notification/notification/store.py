"""The delivery log and booking references in notification's database: the SQL, nothing else."""

import uuid
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from notification.models import BookingRef, Delivery, VerifyThrottle

FINAL = ("sent", "failed", "skipped")


def accept(session, envelope, planned, now, timer_after, issue):
    """Queue one delivery per channel of ``planned``, claimed at once for the handler that queues them (no
    second transaction to claim them); returns them as ``claim`` does (none twice for one event).

    ``issue(delivery_id)`` gives each its check code as ``(check_hash, check_sealed)`` (checkcodes.py).

    The handler tries them at once; the timer takes them only after ``timer_after``, when their claim runs
    out (the handler died first). Otherwise, under load, the timer would take fresh rows one by one from the
    handlers that run in parallel."""
    claimed = []
    for channel in planned.channels:
        delivery_id = str(uuid.uuid4())
        check_hash, check_sealed = issue(delivery_id)
        stmt = (
            pg_insert(Delivery)
            .values(
                id=delivery_id,
                check_hash=check_hash,
                check_sealed=check_sealed,
                event_id=str(envelope["event_id"]),
                event_type=envelope["type"],
                message_type=planned.message_type,
                channel=channel,
                user_id=planned.user_id,
                booking_id=planned.booking_id,
                status="sending",
                attempts=1,
                claimed_until=timer_after,
                next_attempt_at=timer_after,
                data=envelope["data"],
                request_id=envelope.get("request_id"),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(Delivery.id)
        )
        for queued in session.execute(stmt).scalars().all():
            claimed.append(
                {
                    "id": queued,
                    "event_id": str(envelope["event_id"]),
                    "message_type": planned.message_type,
                    "channel": channel,
                    "user_id": planned.user_id,
                    "booking_id": planned.booking_id,
                    "attempts": 1,
                    "data": envelope["data"] or {},
                    "check_sealed": check_sealed,
                }
            )
    return claimed


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
                "check_sealed": row.check_sealed,
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


# -- check codes and the inbox -----------------------------------------------------------------------------

_COUNT_ATTEMPT = text(
    """
    INSERT INTO verify_throttle (key, window_started_at, count) VALUES (:key, :now, 1)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN verify_throttle.window_started_at <= :window_start THEN 1
                   ELSE verify_throttle.count + 1 END,
      window_started_at = CASE WHEN verify_throttle.window_started_at <= :window_start THEN :now
                               ELSE verify_throttle.window_started_at END
    RETURNING count, window_started_at
    """
)


def count_attempt(session, key, now, window):
    """Count one verification for ``key`` in one atomic upsert (parallel guesses cannot slip past it);
    returns ``(attempts in this window, when the window started)``."""
    row = session.execute(_COUNT_ATTEMPT, {"key": key, "now": now, "window_start": now - window}).one()
    return row.count, row.window_started_at


def purge_throttle(session, before):
    return session.execute(delete(VerifyThrottle).where(VerifyThrottle.window_started_at < before)).rowcount


def sent_with_code(session, check_hash):
    """``{message_type, channel, sent_at}`` of the sent message with this code, or None. One lookup on a
    unique index whatever the code was (unknown, malformed, deleted): the answer takes the same time."""
    row = session.execute(
        select(Delivery.message_type, Delivery.channel, Delivery.sent_at).where(
            Delivery.check_hash == check_hash, Delivery.status == "sent"
        )
    ).first()
    return dict(row._mapping) if row else None


def sent_to(session, user_id, limit):
    """The messages sent to ``user_id``, newest first (with their sealed code and inbox line)."""
    rows = session.execute(
        select(Delivery)
        .where(Delivery.user_id == user_id, Delivery.status == "sent")
        .order_by(Delivery.sent_at.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "id": r.id,
            "message_type": r.message_type,
            "channel": r.channel,
            "sent_at": r.sent_at,
            "check_sealed": r.check_sealed,
            "inbox_sealed": r.inbox_sealed,
        }
        for r in rows
    ]


def set_code(session, delivery_id, check_hash, check_sealed):
    session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(check_hash=check_hash, check_sealed=check_sealed)
    )


def forget_user(session, user_id):
    """Delete every delivery to ``user_id`` (their codes stop verifying) and their bookings' references."""
    bookings = select(BookingRef.booking_id).where(BookingRef.user_id == user_id).scalar_subquery()
    deleted = session.execute(
        delete(Delivery).where(or_(Delivery.user_id == user_id, Delivery.booking_id.in_(bookings)))
    ).rowcount
    session.execute(delete(BookingRef).where(BookingRef.user_id == user_id))
    return deleted


def finish(
    session, delivery_id, now, *, status, error=None, provider_id=None, next_attempt_at=None, user_id=None, inbox=None
):
    """Record an attempt's outcome. A sent message also keeps who got it (a message about a booking names
    the booking's holder only here) and its sealed inbox line."""
    values = {"status": status, "last_error": error, "claimed_until": None, "updated_at": now}
    if status in FINAL:
        values["data"] = None  # the OTP and the rest of the event leave the database with the message
    if status == "sent":
        values.update(provider_id=provider_id, sent_at=now, inbox_sealed=inbox)
        if user_id:
            values["user_id"] = user_id
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
