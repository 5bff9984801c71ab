"""Login throttling in identity's database (the gateway is stateless and has replicas).

An attempt is counted *before* the password is checked, with one atomic upsert per key, so a burst of
parallel guesses cannot all slip past the limit while their hashes are being computed. A success gives
the count back; a failure keeps it and locks the key when it reaches the limit. A lock that has run out
starts a fresh window.
"""

from datetime import timedelta

from sqlalchemy import text

from identity.models import LoginThrottle
from identity.policy import FAILURE_WINDOW, LOCK_DURATION, max_failures, seconds_until

_BEGIN = text(
    """
    INSERT INTO login_throttle (key, failures, window_started_at) VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE
        WHEN login_throttle.locked_until > :now THEN login_throttle.failures
        WHEN login_throttle.window_started_at < :window_start OR login_throttle.locked_until IS NOT NULL THEN 1
        ELSE login_throttle.failures + 1 END,
      window_started_at = CASE
        WHEN login_throttle.locked_until > :now THEN login_throttle.window_started_at
        WHEN login_throttle.window_started_at < :window_start OR login_throttle.locked_until IS NOT NULL THEN :now
        ELSE login_throttle.window_started_at END,
      locked_until = CASE WHEN login_throttle.locked_until > :now THEN login_throttle.locked_until END
    RETURNING failures, locked_until
    """
)


# Fixed-window counts of requests that cost money or reveal something (registrations: an SMS each), in the
# same table; a count past its most answers 429 until its window ends. Counted whatever the outcome.
_COUNT = text(
    """
    INSERT INTO login_throttle (key, failures, window_started_at) VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN login_throttle.window_started_at < :window_start THEN 1
        ELSE login_throttle.failures + 1 END,
      window_started_at = CASE WHEN login_throttle.window_started_at < :window_start THEN :now
        ELSE login_throttle.window_started_at END
    RETURNING failures, window_started_at
    """
)


def count(session, rates, now):
    """Count one request on every ``key: (most, seconds)`` of ``rates``; ``(key, retry_after_seconds)`` of the
    first key past its most, or None. Shared by every identity replica (unlike the gateway's own limits)."""
    over = None
    for key, (most, seconds) in rates.items():
        window = timedelta(seconds=seconds)
        used, started = session.execute(_COUNT, {"key": key, "now": now, "window_start": now - window}).one()
        if used > most and over is None:
            over = key, seconds_until(started + window, now)
    return over


def keys_for(account_hash, client_ip):
    keys = [f"account:{account_hash}"]
    if client_ip:
        keys.append(f"address:{client_ip}")
    return keys


def begin(session, keys, now):
    """Count an attempt on every key; ``(key, retry_after_seconds)`` of a locked key, or None."""
    for key in keys:
        failures, locked_until = session.execute(
            _BEGIN, {"key": key, "now": now, "window_start": now - FAILURE_WINDOW}
        ).one()
        if locked_until is not None and locked_until > now:
            return key, seconds_until(locked_until, now)
        if failures > max_failures(key):  # more attempts in flight than allowed: lock now
            _lock(session, key, now)
            return key, seconds_until(now + LOCK_DURATION, now)
    return None


def fail(session, keys, now):
    """The attempt failed: lock every key at its limit; ``(key, retry_after_seconds)`` if one locked."""
    locked = None
    for key in keys:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is not None and row.failures >= max_failures(key) and not _is_locked(row, now):
            _lock(session, key, now)
            locked = locked or (key, seconds_until(now + LOCK_DURATION, now))
    return locked


def succeed(session, keys):
    """Right password: the account starts afresh; the address gets its attempt back."""
    for key in keys:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is None:
            continue
        row.failures = 0 if key.startswith("account:") else max(0, row.failures - 1)


def _is_locked(row, now):
    return row.locked_until is not None and row.locked_until > now


def _lock(session, key, now):
    row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    row.locked_until = now + LOCK_DURATION
