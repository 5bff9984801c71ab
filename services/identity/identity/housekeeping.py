"""Periodic clean-up: codes out of the outbox once published, and rows whose purpose has passed."""

from datetime import timedelta

from sqlalchemy import delete, not_, or_, select, text

from identity.accounts import Accounts
from identity.models import LoginThrottle, OneTimeCode, RefreshToken, User
from identity.secrets_box import field_aad

KEEP = timedelta(days=1)

# The outbox keeps published events for a day (replays, debugging); a one-time code must not stay there.
_SCRUB_CODES = text(
    """
    UPDATE outbox SET payload = jsonb_set(payload, '{data,otp}', '"<sent>"')
    WHERE event_type = 'otp_requested' AND published_at IS NOT NULL
      AND payload->'data'->>'otp' IS DISTINCT FROM '<sent>'
    """
)


def run(db, box, now):
    """One housekeeping pass in one transaction."""
    with db.transaction() as session:
        scrub_sent_codes(session)
        purge_stale(session, now)
        reseal(session, box)


def scrub_sent_codes(session):
    return session.execute(_SCRUB_CODES).rowcount


def purge_stale(session, now):
    session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < now - KEEP))
    session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now - KEEP))
    Accounts.records.purge(session, now - KEEP)
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - KEEP,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
        )
    )


SEALED = ("email", "nik", "full_name", "birth_date", "phone")


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
    return len(users)
