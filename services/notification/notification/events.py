"""Notification publishes no event of its own: it consumes the other services' events (schemas.py checks
their data, tests/contracts checks those schemas against the senders' events.py)."""
