"""A staff member's authenticator app, for tests and benchmarks: the code of an enrolled secret, never one
the server already accepted (identity refuses a used time step, so two sign-ins within 30 seconds need the
next step's code, which it accepts as clock drift; a third waits for the next step).

    from antre_dev.totp import code
    gateway.post("/api/v1/auth/login/code", json={"challenge_token": challenge, "code": code(secret)})
"""

import threading
import time

import pyotp

_last_step = {}  # secret → the last step whose code was handed out (per process)
_lock = threading.Lock()


def code(secret):
    """The 6-digit code to type now for ``secret``."""
    totp = pyotp.TOTP(secret)
    with _lock:
        current = int(time.time() // totp.interval)
        step = max(current, _last_step.get(secret, current - 1) + 1)
        _last_step[secret] = step
    while step > int(time.time() // totp.interval) + 1:  # more than one step ahead: the server would refuse it
        time.sleep(0.5)
    return totp.generate_otp(step)
