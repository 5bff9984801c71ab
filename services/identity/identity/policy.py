"""The numbers and pure rules of one-time codes, login throttling and masking (no I/O, unit-tested)."""

import hmac
import secrets
from datetime import timedelta

from antre_common.logs import mask

OTP_DIGITS = 6
OTP_TTL = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_INTERVAL = timedelta(seconds=60)  # between two codes for one account
OTP_MAX_PER_HOUR = 5
RESET_TTL = timedelta(minutes=15)  # a reset code: long enough to find the mail, short enough to be useless later

ACCOUNT_MAX_FAILURES = 5  # failed logins for one email in the window, then the account key locks
ADDRESS_MAX_FAILURES = 20  # from one client address (an office or a campus shares one)
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)


def new_otp_code():
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def same_hash(a, b):
    return hmac.compare_digest(a or "", b or "")


def otp_state(code, now):
    """Why a pending code cannot be tried any more, or None: "used", "expired", "exhausted"."""
    if code is None or code.consumed_at is not None:
        return "used"
    if code.expires_at <= now:
        return "expired"
    if code.attempts >= OTP_MAX_ATTEMPTS:
        return "exhausted"
    return None


def resend_wait(recent_sent_at, now):
    """Seconds to wait before another code may be sent, given when the codes of the last hour were sent."""
    recent = sorted(t for t in recent_sent_at if t > now - timedelta(hours=1))
    waits = []
    if recent and now - recent[-1] < OTP_RESEND_INTERVAL:
        waits.append(OTP_RESEND_INTERVAL - (now - recent[-1]))
    if len(recent) >= OTP_MAX_PER_HOUR:
        waits.append(recent[-OTP_MAX_PER_HOUR] + timedelta(hours=1) - now)
    return max(1, int(max(waits).total_seconds()) + 1) if waits else 0


def max_failures(key):
    return ADDRESS_MAX_FAILURES if key.startswith("address:") else ACCOUNT_MAX_FAILURES


def seconds_until(when, now):
    return max(1, int((when - now).total_seconds()) + 1)


def mask_nik(nik):
    """``3171**57****0001``: regency (4), day of birth (2, +40 for women) and serial (4) shown; district, month
    and year of birth hidden. Region and serial alone are shared by many (the serial restarts at 0001 for each
    district and birth date, so most people's is 0001-0005): two neighbours saw the same mask. The day adds
    about six bits a forger must guess (1 in 62), while month and year, which give the birthday and the age,
    stay hidden. The mask only tells people apart; the check code of each message is what proves it genuine."""
    if not nik:
        return None
    nik = str(nik)
    if len(nik) != 16 or not nik.isdigit():
        return mask(nik)
    return f"{nik[:4]}**{nik[6:8]}****{nik[12:]}"
