"""Periodic clean-up: codes out of the outbox once published, accounts never verified, and rows whose purpose
has passed."""

from datetime import timedelta

from sqlalchemy import delete, not_, or_, select, text

from identity import events
from identity.accounts import Accounts
from identity.models import AuditEntry, Dependent, LoginChallenge, LoginThrottle, OneTimeCode, RefreshToken, User
from identity.secrets_box import dependent_aad, field_aad

KEEP = timedelta(days=1)

# Codes are sealed for notification since issue 17 (events.otp_requested); this only blanks a plain code an
# older release wrote, once it is published. It can go when no such row is left (the outbox keeps a day).
_SCRUB_CODES = text(
    """
    UPDATE outbox SET payload = jsonb_set(payload, '{data,otp}', '"<sent>"')
    WHERE event_type = 'otp_requested' AND published_at IS NOT NULL
      AND payload->'data'->>'otp' IS NOT NULL AND payload->'data'->>'otp' <> '<sent>'
    """
)


def run(db, box, now, pending_ttl_seconds):
    """One housekeeping pass in one transaction."""
    with db.transaction() as session:
        scrub_sent_codes(session)
        purge_pending(db, now, pending_ttl_seconds)
        purge_stale(session, now)
        reseal(session, box)
        rehash(session, box)


def purge_pending(db, now, ttl_seconds, client_ip=None, hashes=None, limit=500):
    """Deletes accounts never verified within ``ttl_seconds`` (their codes and tokens go with them), so nobody
    holds a NIK or an email they do not own; ``hashes``: only the accounts with these email or NIK hashes.
    Each leaves an audit row with its id only, and an ``account_deleted`` event so that notification forgets
    the messages sent to it (its verification code). Inside ``db.transaction()``; returns how many went."""
    session = db.session
    stmt = select(User.id).where(User.status == "pending_verification", User.created_at < now - timedelta(
        seconds=ttl_seconds))  # fmt: skip
    if hashes:
        stmt = stmt.where(User.email_hash.in_(hashes) | User.nik_hash.in_(hashes))
    ids = session.scalars(stmt.limit(limit).with_for_update(skip_locked=True)).all()
    if not ids:
        return 0
    session.execute(delete(User).where(User.id.in_(ids)))
    session.add_all(
        AuditEntry(event="pending_expired", outcome="deleted", user_id=user_id, client_ip=client_ip, detail={},
                   occurred_at=now)
        for user_id in ids
    )  # fmt: skip
    for user_id in ids:
        db.add_event("account_deleted", events.account_deleted(user_id))
    return len(ids)


def scrub_sent_codes(session):
    return session.execute(_SCRUB_CODES).rowcount


def purge_stale(session, now):
    session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < now - KEEP))
    session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now - KEEP))
    session.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < now))
    Accounts.records.purge(session, now - KEEP)
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - KEEP,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
        )
    )


SEALED = ("email", "nik", "full_name", "birth_date", "phone", "totp_secret", "totp_pending")
DEPENDENT = ("nik", "full_name", "birth_date")


def reseal(session, box, limit=200):
    """After a key rotation (a new key first in ``DATA_KEYS``), re-seal a batch of rows still under an older
    key; the old key can be dropped once this finds none. Returns how many rows it re-sealed."""
    prefix = f"{box.current_kid}:"
    columns = [getattr(User, f"{field}_enc") for field in SEALED]
    stale = or_(*(not_(c.startswith(prefix, autoescape=True)) for c in columns))
    users = session.scalars(select(User).where(stale).limit(limit).with_for_update(skip_locked=True)).all()
    for user in users:
        for field in SEALED:
            aad = field_aad(user.id, field)
            value = box.open(getattr(user, f"{field}_enc"), aad)
            setattr(user, f"{field}_enc", box.seal(value, aad))
    dependents = session.scalars(
        select(Dependent)
        .where(or_(*(not_(getattr(Dependent, f"{f}_enc").startswith(prefix, autoescape=True)) for f in DEPENDENT)))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for dependent in dependents:
        for f in DEPENDENT:
            aad = dependent_aad(dependent.id, f)
            setattr(dependent, f"{f}_enc", box.seal(box.open(getattr(dependent, f"{f}_enc"), aad), aad))
    return len(users) + len(dependents)


def rehash(session, box, limit=200):
    """After a LOOKUP_KEY rotation (a new key first), move a batch of rows' keyed hashes to the newest key,
    from the sealed values; the old key can go once this finds none (docs/runbook.md). A row's new hashes
    cannot collide with another row's: lookups and uniqueness checks have matched every key all along.
    Returns how many rows it moved."""
    current = box.lookup_kid or None
    stale = User.lookup_kid.is_distinct_from(current)
    users = session.scalars(select(User).where(stale).limit(limit).with_for_update(skip_locked=True)).all()
    for user in users:
        user.email_hash = box.lookup("email", box.open(user.email_enc, field_aad(user.id, "email")))
        if user.nik_enc is not None:
            user.nik_hash = box.lookup("nik", box.open(user.nik_enc, field_aad(user.id, "nik")))
        if user.phone_enc is not None:
            user.phone_hash = box.lookup("phone", box.open(user.phone_enc, field_aad(user.id, "phone")))
        user.lookup_kid = current
    dependents = session.scalars(
        select(Dependent)
        .where(Dependent.lookup_kid.is_distinct_from(current))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for dependent in dependents:
        dependent.nik_hash = box.lookup("nik", box.open(dependent.nik_enc, dependent_aad(dependent.id, "nik")))
        dependent.lookup_kid = current
    return len(users) + len(dependents)
