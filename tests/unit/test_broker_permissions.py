"""The broker rights of each process (antre_common.broker) follow from its code: the services it calls are
its ``ServiceRpc`` dependencies, the events it handles its ``event_handler`` entrypoints. A new call or
subscription without its right would fail only on a broker with per-process users; this fails at once."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.messaging import Consumer
from nameko.rpc import RpcProxy

from antre_common import broker
from antre_common.auth import service_of

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]
CLASSES = {"gateway": "gateway.service:GatewayService"} | {
    s: f"{s}.service:{s.capitalize()}Service" for s in broker.PROCESSES if s != "gateway"
}


def service_class(process):
    module, name = CLASSES[process].split(":")
    return getattr(importlib.import_module(module), name)


def uses(process):
    cls = service_class(process)
    calls, handles, queues, reads = set(), set(), set(), set()
    for _, value in inspect.getmembers(cls):
        if isinstance(value, RpcProxy):
            calls.add(value.target_service)
        for ext in getattr(value, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(ext, EventHandler):
                handles.add(ext.source_service)
            elif isinstance(ext, Consumer):  # a queue of its own, bound to an exchange
                queues.add(ext.queue.name)
                reads.add(ext.queue.exchange.name)
    return calls, handles, queues, reads


@pytest.mark.parametrize("process", broker.PROCESSES)
def test_the_table_says_what_the_code_calls_handles_and_consumes(process):
    calls, handles, queues, reads = uses(process)
    assert set(broker.CALLS[process]) == calls
    assert set(broker.HANDLES[process]) == handles
    assert set(broker.OWN_QUEUES.get(process, ())) == queues
    assert set(broker.READS.get(process, ())) == reads


@pytest.mark.parametrize("process", [p for p in broker.PROCESSES if p != "gateway"])
def test_the_table_says_who_writes_to_the_integration_exchange(process):
    """A service whose events.py writes CloudEvents to its outbox publishes to antre.integration."""
    events = (REPO / "services" / process / process / "events.py").read_text()
    writes = "add_integration_event" in events  # antre_common.db.Database: a CloudEvent to antre.integration
    assert writes == (broker.INTEGRATION_EXCHANGE in broker.PUBLISHES.get(process, ()))


def matches(pattern, name):
    return re.fullmatch(pattern, name) is not None


@pytest.mark.parametrize("process", broker.PROCESSES)
def test_a_process_may_use_its_own_queues_and_nothing_of_the_others(process):
    rights = broker.permissions(process)
    reply = f"rpc.reply-{process}-0b7e5c4a-1d2f-4e3a-9b8c-7d6e5f4a3b2c"
    own = [f"rpc-{process}", reply, f"evt-scheduling-booking_created--{process}.on_booking_created"]
    for queue in own:
        for kind in ("configure", "write", "read"):
            assert matches(rights[kind], queue), (kind, queue)
    for other in broker.PROCESSES:
        if other == process:
            continue
        for queue in (f"rpc-{other}", f"rpc.reply-{other}-0b7e5c4a-1d2f-4e3a-9b8c-7d6e5f4a3b2c",
                      f"evt-scheduling-booking_created--{other}.on_booking_created"):  # fmt: skip
            assert not any(matches(rights[k], queue) for k in ("configure", "write", "read")), queue
        assert matches(rights["write"], f"{other}.events") is False  # nobody publishes another's events
    [topic] = [t for t in rights["topic"] if t["exchange"] == "nameko-rpc"]  # others: broker.ONLY_EVENTS
    assert matches(topic["read"], f"{process}.*") and matches(topic["read"], "0b7e5c4a-1d2f-4e3a-9b8c-7d6e5f4a3b2c")
    for other in broker.PROCESSES:
        assert matches(topic["write"], f"{other}.ping") == (other in broker.CALLS[process])
        if other != process:
            assert not matches(topic["read"], f"{other}.*") and not matches(topic["read"], "#")


def test_the_gateway_is_the_narrowest():
    rights = broker.permissions("gateway")
    assert not any(matches(rights["write"], f"{s}.events") for s in broker.PROCESSES)  # publishes no event
    assert not matches(rights["write"], "antre.integration")
    # Of identity's events it may bind to one only: the staff sessions that ended (its revocation set).
    [identity] = [t for t in rights["topic"] if t["exchange"] == "identity.events"]
    assert matches(identity["read"], "sessions_revoked") and not matches(identity["read"], "otp_requested")
    assert identity["write"] == "^$"


def test_a_login_names_its_service():
    assert service_of(broker.user_name("documents")) == "documents"
    assert service_of(broker.user_name("documents", prefix="antre_sys_ab12cd34")) == "documents"
    assert service_of("guest") == "guest" and service_of(None) is None
