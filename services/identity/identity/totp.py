"""Staff's second factor: TOTP (RFC 6238) with pyotp, as every authenticator app computes it: 6 digits,
30-second steps, one step of clock drift accepted either way. Pure rules, no I/O (unit-tested)."""

import hmac

import pyotp

ISSUER = "Antre"
DRIFT_STEPS = 1  # a phone whose clock is 30 s off still works; more would widen the guessing window


def new_secret():
    """160 random bits in base32 (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def provisioning_uri(secret, account_name):
    """``otpauth://totp/Antre:<account>?secret=…&issuer=Antre``: what the enrolment QR holds."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def matching_step(secret, code, now):
    """The time step (now ± drift) whose code is ``code``, or None. The caller refuses a step it already
    accepted once (replay), so a code seen over a shoulder or in a log cannot be used again."""
    code = str(code or "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step  # no early return: the time taken does not say which step matched
    return found


def refusal(step, last_step):
    """Why a code is refused: "wrong", "replayed" (its step, or a later one, was already used), or None."""
    if step is None:
        return "wrong"
    if last_step is not None and step <= last_step:
        return "replayed"
    return None
