"""Retention: a booking's files are deleted ``retention_days`` after it ended; a booking whose end no event
told us is asked about, and counts as over a week after its visit, so no file is kept forever."""

import logging
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy import delete, select, update

from antre_common.metrics import metric
from documents.bookings import ENDED
from documents.exceptions import NotFound, ServiceUnavailable
from documents.models import Booking, Document

log = logging.getLogger(__name__)
PURGED = metric(Counter, "antre_documents_purged_objects_total", "Objects deleted by retention.")
ASK_AFTER_DAYS = 1  # a booking still open a day after its visit: ask scheduling whether it ended
OVER_AFTER_DAYS = 7  # still open a week after its visit: the visit is over, whatever the status says


class Retention:
    def __init__(self, db, bookings, store):
        self.db = db
        self.bookings = bookings
        self.store = store

    def sweep(self, now, retention_days):
        """One pass of the timer: close what ended unseen, then purge; returns bookings purged."""
        closed = self.close_stale(now)
        purged = self.purge_expired(now, retention_days)
        if purged or closed:
            log.info("retention sweep", extra={"bookings_closed": closed, "bookings_purged": purged})
        return purged

    def close_stale(self, now, limit=50):
        """Start the retention clock of bookings whose end no event told us (a completed visit has no
        booking event of its own yet): ask scheduling about bookings past their day; a week after the visit
        the booking counts as over anyway, so no file is kept forever. Returns how many were closed."""
        session = self.db.session
        asked_before = (now - timedelta(days=ASK_AFTER_DAYS)).date().isoformat()
        over_before = (now - timedelta(days=OVER_AFTER_DAYS)).date().isoformat()
        stale = session.execute(
            select(Booking.reservation_code, Booking.visit_date)
            .where(Booking.ended_at.is_(None), Booking.visit_date < asked_before)
            .order_by(Booking.visit_date)
            .limit(limit)
        ).all()
        session.rollback()
        closed = 0
        for code, visit_date in stale:
            try:
                answer = self.bookings.ask_scheduling("get_booking", code)
            except NotFound:
                answer = {"status": "cancelled"}  # scheduling no longer knows it
            except ServiceUnavailable:
                break  # try again at the next sweep
            status, visit_date = answer.get("status"), answer.get("date") or visit_date
            query = update(Booking).where(Booking.reservation_code == code, Booking.ended_at.is_(None))
            with self.db.transaction() as tx:
                if status in ENDED or visit_date < over_before:
                    tx.execute(query.values(status=status if status in ENDED else Booking.status, ended_at=now))
                    closed += 1
                else:
                    tx.execute(query.values(visit_date=visit_date))  # rescheduled: wait for the new day
        return closed

    def purge_expired(self, now, retention_days, limit=100):
        """Delete the files and rows of bookings that ended ``retention_days`` ago; returns bookings purged.

        Replicas run this timer too: SKIP LOCKED lets each take different bookings."""
        cutoff = now - timedelta(days=retention_days)
        purged = 0
        with self.db.transaction() as session:
            bookings = session.scalars(
                select(Booking)
                .where(Booking.ended_at <= cutoff, Booking.purged_at.is_(None))
                .order_by(Booking.ended_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for booking in bookings:
                prefix = f"{booking.booking_id}/"
                keys = set(self.store.keys(prefix)) | {d.object_key for d in self.bookings.documents(session, booking)}
                for key in sorted(keys):
                    self.store.remove(key)
                count = session.execute(delete(Document).where(Document.booking_id == booking.booking_id)).rowcount
                booking.purged_at = now
                purged += 1
                PURGED.inc(len(keys))
                # booking id and counts only: nothing that identifies the person.
                log.info(
                    "documents deleted after retention",
                    extra={
                        "booking_id": booking.booking_id,
                        "documents": count,
                        "objects": len(keys),
                        "ended_at": booking.ended_at.isoformat(),
                        "retention_days": retention_days,
                    },
                )
        return purged
