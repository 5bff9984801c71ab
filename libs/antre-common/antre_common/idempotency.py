"""Idempotency records: the first answer to a request made with an ``Idempotency-Key``, kept a day.

A service's record table has a primary key (owner, key), ``request_hash``, ``response`` and ``created_at``;
the owner column is named by the service (a scope, a user id). A repeat with the same request gets the
first answer; a repeat with another request is refused (``IdempotencyKeyReused``).
"""

import hashlib
import json

from sqlalchemy import delete, text

from antre_common.errors import IdempotencyKeyReused


def request_hash(payload):
    """A stable digest of a JSON-able request (callers whose request holds secrets pass a keyed one)."""
    return hashlib.sha256(canonical(payload).encode()).hexdigest()


def canonical(payload):
    return json.dumps(payload, sort_keys=True, default=str)


class IdempotencyRecords:
    """``records = IdempotencyRecords(IdempotencyRecord, owner="user_id")``."""

    def __init__(self, model, owner):
        self.model = model
        self.owner = owner

    def replay(self, session, owner, key, digest, *, lock=False):
        """The first answer to (owner, key), or None. ``lock`` serialises same-key requests until the
        transaction ends (a transaction-scoped advisory lock), so two concurrent retries cannot both run."""
        if not key:
            return None
        if lock:
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"{owner}:{key}"})
        record = session.get(self.model, (owner, key))
        if record is None:
            return None
        if record.request_hash != digest:
            raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
        return record.response

    def remember(self, session, owner, key, digest, response):
        if key:
            session.add(self.model(**{self.owner: owner}, key=key, request_hash=digest, response=response))

    def once(self, session, owner, key, digest, work):
        """Run ``work()`` once per (owner, key) inside the caller's transaction; a repeat gets its answer."""
        if not key:
            return work()
        replay = self.replay(session, owner, key, digest, lock=True)
        if replay is not None:
            return replay
        result = work()
        self.remember(session, owner, key, digest, result)
        return result

    def purge(self, session, before):
        """Forget records made before ``before``; returns how many went."""
        return session.execute(delete(self.model).where(self.model.created_at < before)).rowcount
