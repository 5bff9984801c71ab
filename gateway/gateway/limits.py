"""Limits at the edge: request rates per account, client address and phone number, and a bound on the booking
RPCs one gateway process has in flight.

Both are per process (the gateway keeps no shared state): with R replicas behind the ingress a client may get
up to R times a limit, which is why the limits are set well below what scheduling can take and each replica's
bound on bookings in flight is derived from scheduling's workers (README "Limits"). A client that passes a
limit is answered 429 with ``Retry-After`` at once, before any RPC: work that would have queued past the RPC
deadline is never started.

Config (each ``count/seconds``): ``GATEWAY_RATE_BOOKING`` per account and per address, ``GATEWAY_RATE_AVAILABILITY``
per address, ``GATEWAY_RATE_REGISTER`` per address and per phone, ``GATEWAY_RATE_CODES`` per address and per
account; ``GATEWAY_BOOKINGS_IN_FLIGHT`` and ``GATEWAY_QUEUE_IN_FLIGHT`` (the most) and
``GATEWAY_BOOKING_SLOW_SECONDS`` (when they shrink).
"""

import math
import time
from contextlib import contextmanager

from nameko.extensions import DependencyProvider

from gateway.errors import GatewayError

# name: (config key, default "count/seconds")
RATES = {
    "booking": ("GATEWAY_RATE_BOOKING", "20/60"),  # a person books, retries a full slot, picks another
    "availability": ("GATEWAY_RATE_AVAILABILITY", "120/60"),  # two a second: a page and its refreshes
    "register": ("GATEWAY_RATE_REGISTER", "10/3600"),  # a family registering on one phone is a few
    "codes": ("GATEWAY_RATE_CODES", "10/3600"),  # one-time codes by email and SMS cost money
}
# name: (config key, the most in flight per process)
IN_FLIGHT = {
    "booking": ("GATEWAY_BOOKINGS_IN_FLIGHT", 32),
    # Waiting-room joins and polls: cheap reads, but a crowd polls them; past the bound the client is told
    # to ask again in a moment instead of waiting in the gateway into a 503.
    "queue": ("GATEWAY_QUEUE_IN_FLIGHT", 48),
}
SLOW_KEY, SLOW_DEFAULT = "GATEWAY_BOOKING_SLOW_SECONDS", 2.5  # half the 5 s RPC deadline
MIN_IN_FLIGHT = 4
BUSY_RETRY_SECONDS = 2
MAX_KEYS = 200_000  # a flood of distinct keys cannot grow the table without bound


def parse_rate(value):
    count, seconds = str(value).split("/")
    return int(count), float(seconds)


class Window:
    """Fixed-window counters per key (cheap, good enough for abuse limits)."""

    def __init__(self, count, seconds, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self.windows = {}

    def hit(self, key):
        """None when allowed, else the seconds until the window ends."""
        now = self.clock()
        start, used = self.windows.get(key, (now, 0))
        if now - start >= self.seconds:
            start, used = now, 0
        if used >= self.count:
            return max(1, math.ceil(start + self.seconds - now))
        if len(self.windows) >= MAX_KEYS:
            self.windows = {k: v for k, v in self.windows.items() if now - v[0] < self.seconds}
        self.windows[key] = (start, used + 1)
        return None


class Bound:
    """At most ``most`` calls of one kind in flight in this process, fewer while they are answered slowly."""

    def __init__(self, most, slow_seconds):
        self.most, self.slow_seconds = most, slow_seconds
        self.limit = float(most)  # adapted to how fast the calls are answered (``adapt``)
        self.in_flight = 0

    def adapt(self, took):
        """Additive increase, multiplicative decrease: a call slower than ``slow_seconds`` means the service
        behind is saturated (a starved CPU, a slow disk), so fewer are let through; fast answers let the
        bound grow back to ``most``."""
        if took > self.slow_seconds:
            self.limit = max(MIN_IN_FLIGHT, self.limit * 0.9)
        else:
            self.limit = min(self.most, self.limit + 1 / self.limit)


class Limits:
    """The limits of one gateway process, from its config (a dict)."""

    def __init__(self, config):
        self.windows = {name: Window(*parse_rate(config.get(key) or default)) for name, (key, default) in RATES.items()}
        slow = float(config.get(SLOW_KEY) or SLOW_DEFAULT)
        self.bounds = {name: Bound(int(config.get(key) or default), slow) for name, (key, default) in IN_FLIGHT.items()}

    @property
    def limit(self):
        return self.bounds["booking"].limit

    @property
    def in_flight(self):
        return self.bounds["booking"].in_flight

    def check(self, name, **keys):
        """Count one request of ``name`` for each ``kind=value`` key (account, address, phone); 429 if any
        is over its limit."""
        window = self.windows[name]
        for kind, value in keys.items():
            if not value:
                continue
            wait = window.hit((kind, value))
            if wait is not None:
                raise GatewayError("RATE_LIMITED", headers={"Retry-After": str(wait)}, retry_after=wait)

    @contextmanager
    def slot(self, name, clock=time.monotonic):
        """One call of ``name`` (``booking``, ``queue``) in flight; at the bound, 429 ``TOO_BUSY`` at once."""
        bound = self.bounds[name]
        if bound.in_flight >= int(bound.limit):
            seconds = BUSY_RETRY_SECONDS
            raise GatewayError("TOO_BUSY", headers={"Retry-After": str(seconds)}, retry_after=seconds)
        bound.in_flight += 1
        began = clock()
        try:
            yield
        finally:
            bound.in_flight -= 1
            bound.adapt(clock() - began)

    def booking_slot(self, clock=time.monotonic):
        return self.slot("booking", clock)


class EdgeLimits(DependencyProvider):
    """One ``Limits`` per gateway process, shared by its workers."""

    def setup(self):
        self.limits = Limits(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.limits
