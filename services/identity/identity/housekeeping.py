"""Periodic clean-up: codes out of the outbox once published, and rows whose purpose has passed."""

from datetime import timedelta

from sqlalchemy import delete, text

from identity.models import IdempotencyRecord, LoginThrottle, OneTimeCode, RefreshToken

KEEP = timedelta(days=1)

# The outbox keeps published events for a day (replays, debugging); a one-time code must not stay there.
_SCRUB_CODES = text(
    """
    UPDATE outbox SET payload = jsonb_set(payload, '{data,otp}', '"<sent>"')
    WHERE event_type = 'otp_requested' AND published_at IS NOT NULL
      AND payload->'data'->>'otp' IS DISTINCT FROM '<sent>'
    """
)


def scrub_sent_codes(session):
    return session.execute(_SCRUB_CODES).rowcount


def purge_stale(session, now):
    session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < now - KEEP))
    session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now - KEEP))
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP))
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - KEEP,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
        )
    )
