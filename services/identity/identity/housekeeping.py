"""Periodic clean-up: codes out of the outbox once published, accounts never verified, and rows whose purpose
has passed."""

from datetime import timedelta

from sqlalchemy import delete, not_, or_, select, text

from identity.accounts import Accounts
from identity.models import AuditEntry, Dependent, LoginChallenge, LoginThrottle, OneTimeCode, RefreshToken, User
from identity.secrets_box import dependent_aad, field_aad

KEEP = timedelta(days=1)

# The outbox keeps published events for a day (replays, debugging); a one-time code must not stay there.
_SCRUB_CODES = text(
    """
    UPDATE outbox SET payload = jsonb_set(payload, '{data,otp}', '"<sent>"')
    WHERE event_type = 'otp_requested' AND published_at IS NOT NULL
      AND payload->'data'->>'otp' IS DISTINCT FROM '<sent>'
    """
)


def run(db, box, now, pending_ttl_seconds):
    """One housekeeping pass in one transaction."""
    with db.transaction() as session:
        scrub_sent_codes(session)
        purge_pending(session, now, pending_ttl_seconds)
        purge_stale(session, now)
        reseal(session, box)


def purge_pending(session, now, ttl_seconds, client_ip=None, hashes=None, limit=500):
    """Deletes accounts never verified within ``ttl_seconds`` (their codes and tokens go with them), so nobody
    holds a NIK or an email they do not own; ``hashes``: only the accounts with these email or NIK hashes.
    Each leaves an audit row with its id only. Returns how many went."""
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
