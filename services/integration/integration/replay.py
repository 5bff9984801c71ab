"""The replay store: every CloudEvent of antre.integration, once, readable in order with a cursor.

Order and the cursor. Rows are numbered by an identity column, but numbers are handed out when a row is
inserted, not when its transaction commits: a reader that took "everything after seq 41" while the
transaction holding seq 41 was still open, and saw 42 committed, would move its cursor to 42 and never see 41.
So each row also records the id of the transaction that wrote it (``tx``), the order is ``(tx, seq)``, and
a reader only sees rows whose transaction id is below the oldest transaction still running anywhere
(``pg_snapshot_xmin(pg_current_snapshot())``): every transaction below that horizon has ended, so no row can
ever appear before a position already handed out. An open writer delays readers (by as long as it stays
open, milliseconds here) instead of making them skip (tests/service/test_replay.py holds one open).

The cursor is ``"<tx>-<seq>"`` of the last event returned. One that names no stored event is either
before the retention mark (the purge removed it: 410 CURSOR_EXPIRED) or was never handed out (404).
"""

import logging
import re
from datetime import datetime, timedelta

from kombu import Queue
from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert

from antre_common.envelope import utcnow
from antre_common.metrics import metric
from antre_common.outbox import integration_exchange
from integration.exceptions import CursorExpired, CursorNotFound
from integration.models import RetentionMark, StoredEvent

log = logging.getLogger(__name__)

# The replay's own durable queue on antre.integration: every type, now and to come.
QUEUE = Queue("integration.replay", exchange=integration_exchange(), routing_key="id.go.imigrasi.antre.#", durable=True)
CURSOR = re.compile(r"^([0-9]{1,19})-([0-9]{1,19})$")
HORIZON = text("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")
PURGE_BATCH = 5000
STORED = metric(Counter, "antre_integration_replay_events_total", "CloudEvents received, by outcome.", ("outcome",))
# Time from publish (the CloudEvent's time) to stored: a growing value means the replay lags behind.
LAG = metric(Gauge, "antre_integration_replay_lag_seconds", "Age of the newest CloudEvent when it was stored.")


def cursor_of(tx, seq):
    return f"{tx}-{seq}"


def parse_cursor(cursor):
    match = CURSOR.match(cursor or "")
    if not match:
        raise CursorNotFound("malformed cursor")
    return int(match[1]), int(match[2])


class Replay:
    def __init__(self, db, settings):
        self.db = db
        self.settings = settings

    def store(self, event):
        """Keep one CloudEvent (checked by the caller); False when it was already stored (a redelivery)."""
        with self.db.transaction() as session:
            stmt = (
                pg_insert(StoredEvent)
                .values(event_id=event["id"], type=event["type"], event=event, received_at=utcnow())
                .on_conflict_do_nothing(index_elements=["event_id"])
            )
            stored = session.execute(stmt).rowcount == 1
        STORED.labels("stored" if stored else "duplicate").inc()
        try:
            LAG.set(max(0.0, (utcnow() - datetime.fromisoformat(event["time"])).total_seconds()))
        except (TypeError, ValueError):
            pass  # a time that is not ISO 8601 is the contract test's concern, not the store's
        return stored

    def read(self, after, limit):
        """``{events, next}``: up to ``limit`` events after the cursor ``after`` (None: from the oldest kept),
        oldest first; ``next`` is the cursor to pass next time (``after`` again when nothing was new)."""
        with self.db.transaction() as session:
            query = select(StoredEvent.tx, StoredEvent.seq, StoredEvent.event).where(StoredEvent.tx < HORIZON)
            if after is not None:
                tx, seq = parse_cursor(after)
                self._check(session, tx, seq)
                query = query.where(tuple_(StoredEvent.tx, StoredEvent.seq) > tuple_(literal(tx), literal(seq)))
            rows = session.execute(query.order_by(StoredEvent.tx, StoredEvent.seq).limit(limit)).all()
        return {"events": [r.event for r in rows], "next": cursor_of(rows[-1].tx, rows[-1].seq) if rows else after}

    def _check(self, session, tx, seq):
        found = session.execute(select(StoredEvent.seq).where(StoredEvent.tx == tx, StoredEvent.seq == seq)).first()
        if found:
            return
        mark = session.get(RetentionMark, 1)
        if mark is not None and (tx, seq) <= (mark.tx, mark.seq):
            raise CursorExpired("cursor before the retention period", retention_days=self.settings.retention_days)
        raise CursorNotFound("unknown cursor")

    def purge(self):
        """Drop events older than the retention period (a batch per pass) and move the retention mark."""
        cutoff = utcnow() - timedelta(days=self.settings.retention_days)
        with self.db.transaction() as session:
            doomed = (
                select(StoredEvent.seq)
                .where(StoredEvent.received_at < cutoff)
                .order_by(StoredEvent.tx, StoredEvent.seq)
                .limit(PURGE_BATCH)
            )
            gone = session.execute(
                delete(StoredEvent).where(StoredEvent.seq.in_(doomed)).returning(StoredEvent.tx, StoredEvent.seq)
            ).all()
            if gone:
                last = max((r.tx, r.seq) for r in gone)
                mark = session.get(RetentionMark, 1, with_for_update=True)
                if mark is None:
                    session.add(RetentionMark(id=1, tx=last[0], seq=last[1]))
                elif last > (mark.tx, mark.seq):
                    mark.tx, mark.seq = last
        if gone:
            log.info("replay purged", extra={"events": len(gone)})
        return len(gone)

    def count(self):
        with self.db.transaction() as session:
            return session.execute(select(func.count()).select_from(StoredEvent)).scalar()
