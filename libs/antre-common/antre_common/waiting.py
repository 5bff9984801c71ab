"""Waiting for something that happens elsewhere, for every test tier and tool; no eventlet here, so the
browser tier (which must not be monkey-patched) can use it too."""

import time


def wait_until(check, timeout=20, what="condition", interval=0.1):
    """``check()``'s first truthy answer within ``timeout`` seconds, else AssertionError naming ``what``.
    The one wait helper of every tier; assert that nothing happened with a deterministic step instead
    (trigger the timer with ``entrypoint_hook`` and look at the rows), never with a sleep::

        [row] = wait_until(lambda: delivery_log.rows(status="sent"), what="the sent delivery")
    """
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(interval)
