"""RPC deadlines, and the request id carried from the edge through RPC, events and log lines."""

import json
import logging
import time
import uuid

import eventlet
import pytest
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import ReplyListener, rpc
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from nameko.testing.utils import get_extension
from sqlalchemy import create_engine, text

from antre_common.context import RequestContext
from antre_common.db import Database
from antre_common.errors import ServiceUnavailable
from antre_common.logs import JsonFormatter
from antre_common.rpc import ServiceRpc
from notification.models import ProcessedEvent

log = logging.getLogger("antre.test")


class SlowService:
    name = "slow"
    context = RequestContext()
    dispatch = EventDispatcher()

    @rpc
    def nap(self, seconds):
        eventlet.sleep(seconds)
        return "awake"

    @rpc
    def whoami(self):
        log.info("handling whoami")
        self.dispatch("seen", {"request_id": self.context})
        return self.context


class Caller:
    name = "caller"
    context = RequestContext()
    slow = ServiceRpc("slow", timeout=0.5)
    ghost = ServiceRpc("ghost", timeout=5)

    @rpc
    def call_nap(self, seconds):
        return self.slow.nap(seconds)

    @rpc
    def call_nap_patiently(self, seconds):
        return self.slow.nap(seconds, timeout=5)

    @rpc
    def call_ghost(self):
        return self.ghost.ping()

    @rpc
    def call_whoami(self):
        return self.context, self.slow.whoami()


class Listener:
    name = "listener"
    context = RequestContext()

    @event_handler("slow", "seen")
    def on_seen(self, payload):
        return payload["request_id"], self.context


def test_a_slow_service_gives_service_unavailable_at_the_deadline(container_factory, rabbit_config):
    container_factory(SlowService, rabbit_config).start()
    caller = container_factory(Caller, rabbit_config)
    caller.start()
    listener = get_extension(caller, ReplyListener)
    with entrypoint_hook(caller, "call_nap") as call_nap:
        assert call_nap(0) == "awake"
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            call_nap(2)
        assert time.monotonic() - started < 1.5
    assert listener._reply_events == {}, "the reply nobody waits for any more must not stay in memory"


def test_a_service_that_never_ran_fails_at_once(container_factory, rabbit_config):
    caller = container_factory(Caller, rabbit_config)
    caller.start()
    with entrypoint_hook(caller, "call_ghost") as call_ghost:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable):
            call_ghost()
        assert time.monotonic() - started < 2


def test_request_id_follows_rpc_events_and_logs(container_factory, rabbit_config):
    _, caller, listener = containers = [
        container_factory(cls, rabbit_config) for cls in (SlowService, Caller, Listener)
    ]
    for container in containers:
        container.start()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    lines = []
    handler.emit = lambda record: lines.append(handler.format(record))
    logging.getLogger("antre.test").addHandler(handler)
    logging.getLogger("antre.test").setLevel(logging.INFO)
    try:
        with entrypoint_waiter(listener, "on_seen", timeout=10) as seen:
            with entrypoint_hook(caller, "call_whoami", context_data={"request_id": "req-abcdef123456"}) as hook:
                mine, theirs = hook()
    finally:
        logging.getLogger("antre.test").removeHandler(handler)
    assert mine == theirs == "req-abcdef123456"
    assert seen.get() == ("req-abcdef123456", "req-abcdef123456")
    assert json.loads(lines[0])["request_id"] == "req-abcdef123456"


def test_a_longer_deadline_per_call_also_keeps_the_request_alive_in_the_queue(container_factory, rabbit_config):
    """A call with its own deadline must not expire in the queue at the proxy's shorter one."""
    first = container_factory(SlowService, rabbit_config)
    first.start()
    first.stop()  # its queue stays: the service is down, not unknown
    caller = container_factory(Caller, rabbit_config)
    caller.start()
    with entrypoint_hook(caller, "call_nap_patiently") as call:
        pending = eventlet.spawn(call, 0)
        eventlet.sleep(1.0)  # longer than the proxy's 0.5 s: the request waits in the queue
        container_factory(SlowService, rabbit_config).start()
        assert pending.wait() == "awake"


class Writer:
    name = "writer"
    db = Database(processed_model=ProcessedEvent)

    @rpc
    def slow_write(self, seconds, event_id):
        eventlet.sleep(seconds)
        with self.db.transaction() as session:
            session.add(ProcessedEvent(event_id=event_id, consumer="writer"))
        return "written"


class WriteCaller:
    name = "write_caller"
    writer = ServiceRpc("writer", timeout=0.5)

    @rpc
    def write(self, seconds, event_id):
        return self.writer.slow_write(seconds, event_id)


def test_a_change_is_not_committed_after_the_caller_gave_up(container_factory, service_config):
    """The gateway answered 503 at its deadline: the service must not commit the change afterwards."""
    writer = container_factory(Writer, service_config)
    writer.start()
    caller = container_factory(WriteCaller, service_config)
    caller.start()
    in_time, too_late = str(uuid.uuid4()), str(uuid.uuid4())
    with entrypoint_hook(caller, "write") as write:
        assert write(0, in_time) == "written"
        late = lambda worker_ctx, result, exc_info: worker_ctx.args[1] == too_late  # noqa: E731 - not the first
        with entrypoint_waiter(writer, "slow_write", timeout=10, callback=late) as late_worker:
            with pytest.raises(ServiceUnavailable):
                write(1.0, too_late)
    with pytest.raises(ServiceUnavailable):  # the callee's worker reached its commit, and refused it
        late_worker.get()
    engine = create_engine(service_config["DATABASE_URL"])
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT event_id::text FROM processed_event")).scalars())
    engine.dispose()
    assert rows == {in_time}


class Reference:
    name = "reference"
    calls = []

    @rpc
    def lookup(self, key):
        Reference.calls.append(key)
        if key == "missing":
            raise KeyError(key)
        return {"key": key, "tags": ["a"]}


class ReferenceCaller:
    name = "reference_caller"
    reference = ServiceRpc("reference", timeout=5, cached={"lookup": 3})

    @rpc
    def lookup(self, key):
        answer = self.reference.lookup(key)
        answer["tags"].append("edited by the caller")
        return answer


def test_cached_methods_are_asked_once_per_ttl_and_errors_are_not_kept(container_factory, rabbit_config):
    Reference.calls.clear()
    container_factory(Reference, rabbit_config).start()
    caller = container_factory(ReferenceCaller, rabbit_config)
    caller.start()
    with entrypoint_hook(caller, "lookup") as lookup:
        assert lookup("x") == {"key": "x", "tags": ["a", "edited by the caller"]}
        assert lookup("x") == {"key": "x", "tags": ["a", "edited by the caller"]}  # the cache kept its own copy
        assert lookup("y")["key"] == "y"
        assert Reference.calls == ["x", "y"]
        for _ in range(2):
            with pytest.raises(Exception, match="KeyError"):
                lookup("missing")
        assert Reference.calls == ["x", "y", "missing", "missing"]
        time.sleep(3.1)
        lookup("x")
        assert Reference.calls[-1] == "x" and len(Reference.calls) == 5  # asked again once the TTL passed
