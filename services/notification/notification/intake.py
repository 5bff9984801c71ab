"""An event in, deliveries queued: validated, once per event_id, in the same transaction."""

import logging
from datetime import timedelta

from antre_common.envelope import utcnow
from notification import store
from notification.messages import booking_facts, plan
from notification.schemas import event_errors

log = logging.getLogger(__name__)
CONSUMER = "notification"


def accept_event(db, envelope, lease_seconds, issue):
    """Queue the deliveries an event asks for, each with its check code from ``issue(delivery_id)``, claimed
    for the caller; returns them as ``store.claim`` does (empty for a redelivered event).

    The caller attempts them at once (``Dispatcher.deliver``); the retry timer takes over after
    ``lease_seconds`` if it could not."""
    errors = event_errors(envelope) if isinstance(envelope, dict) else {"envelope": ["not an object"]}
    if errors:
        # Dropped, not retried: the same bytes would fail again. Field names only, never values.
        event_id = envelope.get("event_id") if isinstance(envelope, dict) else None
        log.warning("event rejected", extra={"event_id": event_id, "errors": sorted(errors)})
        return []
    now = utcnow()
    with db.transaction() as session:
        if not db.first_delivery(envelope, CONSUMER):
            log.info("event already handled", extra={"event_id": envelope["event_id"], "type": envelope["type"]})
            return []
        data = envelope["data"]
        if envelope["type"] == "account_deleted":
            store.forget_user(session, str(data["user_id"]))  # its messages (a verification code) and their codes
            return []
        facts = booking_facts(envelope["type"], data)
        if facts:
            store.record_booking(session, facts, now)
        planned = plan(envelope["type"], data)
        timer_after = now + timedelta(seconds=lease_seconds)
        claimed = store.accept(session, envelope, planned, now, timer_after, issue) if planned else []
        if claimed and planned.booking_id:
            # What the attempts need of the booking, read in this transaction (not in one more of their own).
            booking = store.booking(session, planned.booking_id)
            for item in claimed:
                item["booking"] = booking
    log.info(
        "event accepted",
        extra={"event_id": envelope["event_id"], "type": envelope["type"], "deliveries": len(claimed)},
    )
    return claimed
