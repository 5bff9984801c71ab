"""Request ids: created by the gateway, carried by nameko's context data through every RPC and event.

nameko copies ``worker_ctx.context_data`` into the headers of every RPC and event a worker sends, and back
into the context of the worker that handles them, so a ``request_id`` key set once at the edge reaches every
process. ``current`` keeps the running worker's request id in a green-thread local for log lines.
"""

import re
import threading
import time
import uuid

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

REQUEST_ID_KEY = "request_id"
DEADLINE_KEY = "deadline"  # epoch seconds after which the RPC caller no longer waits (antre_common.rpc)
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

current = threading.local()  # green-thread local once eventlet has patched threading


def new_request_id():
    return uuid.uuid4().hex


def accept_request_id(value):
    """A caller's ``X-Request-Id`` if it is a sane token, else a fresh one (never trust it into logs raw)."""
    return value if value and _VALID.match(value) else new_request_id()


def current_request_id():
    return getattr(current, "request_id", None)


def caller_gave_up(worker_ctx, margin=0.25):
    """True when this worker serves an RPC whose caller has stopped waiting (or is about to).

    Only RPC workers count: an event handler may carry context data from a request long finished."""
    if worker_ctx is None:  # a handle used outside any worker (start-up work): no caller to wait for
        return False
    deadline = worker_ctx.context_data.get(DEADLINE_KEY)
    if deadline is None or not isinstance(worker_ctx.entrypoint, Rpc):
        return False
    try:
        return time.time() > float(deadline) - margin
    except (TypeError, ValueError):
        return False


class RequestContext(DependencyProvider):
    """Makes the worker's request id visible to log lines; starts one if the worker came from outside."""

    # nameko injects dependencies before it calls worker_setup, so both make sure the id exists.
    @staticmethod
    def _request_id(worker_ctx):
        data = worker_ctx.context_data
        if not data.get(REQUEST_ID_KEY):
            data[REQUEST_ID_KEY] = new_request_id()
        return data[REQUEST_ID_KEY]

    def get_dependency(self, worker_ctx):
        return self._request_id(worker_ctx)

    def worker_setup(self, worker_ctx):
        current.request_id = self._request_id(worker_ctx)

    def worker_teardown(self, worker_ctx):
        current.request_id = None
