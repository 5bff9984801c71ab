"""One trace across processes: an RPC, the SQL it runs, the outbox publish it causes and the consumer's handling,
on real RabbitMQ and PostgreSQL, exported in memory; and the trace ids in log lines when tracing is off."""

import json
import logging
import uuid

import pytest
from kombu import Connection, Queue
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from antre_common import tracing
from antre_common.db import Database
from antre_common.health import ServiceBase
from antre_common.logs import JsonFormatter
from antre_common.outbox import INTEGRATION_EXCHANGE, integration_exchange
from antre_common.rpc import ServiceRpc
from antre_common.testing import wait_until
from notification.models import OutboxEvent, ProcessedEvent

log = logging.getLogger("antre.test.tracing")
PROBE = text("SELECT 1")
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class FrontService(ServiceBase):
    name = "front"
    booker = ServiceRpc("booker")

    @rpc
    def book(self):
        log.info("front asks booker")
        return self.booker.book()


class BookerService(ServiceBase):
    name = "booker"
    db = Database(OutboxEvent, ProcessedEvent)

    @rpc
    def book(self):
        with self.db.transaction() as session:
            session.execute(PROBE)
            envelope = self.db.add_event("booked", {"n": 1})
            cloud_event = {"specversion": "1.0", "id": str(uuid.uuid4()), "type": "test.booked.v1", "data": {}}
            self.db.add_event("test.booked.v1", None, exchange=INTEGRATION_EXCHANGE, payload=cloud_event)
        log.info("booker booked")
        return envelope["event_id"]


class NotifierService(ServiceBase):
    name = "notifier"
    db = Database(processed_model=ProcessedEvent)

    @event_handler("booker", "booked")
    def on_booked(self, envelope):
        log.info("notifier handles")
        return sorted(envelope)  # what was published: the envelope as built, no trace field in the body


@pytest.fixture
def captured_logs():
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    lines = []
    handler.emit = lambda record: lines.append(json.loads(handler.format(record)))
    logger = logging.getLogger("antre.test.tracing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)


@pytest.fixture
def exporter():
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    yield exporter
    tracing.use_exporter(None)


@pytest.fixture
def ministry(rabbit_config):
    """A queue bound to antre.integration, as another ministry binds one."""
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        queue = Queue("test-ministry", integration_exchange(), routing_key="test.#", auto_delete=True)
        bound = queue(conn.channel())
        bound.declare()
        yield bound


def run(container_factory, service_config):
    containers = [container_factory(cls, service_config) for cls in (FrontService, BookerService, NotifierService)]
    for container in containers:
        container.start()
    front, _, notifier = containers
    with entrypoint_waiter(notifier, "on_booked", timeout=15) as handled:
        with entrypoint_hook(front, "book", context_data={"traceparent": INCOMING}) as book:
            book()
    return handled.get()


def test_one_request_is_one_connected_trace(container_factory, service_config, exporter, captured_logs, ministry):
    published = run(container_factory, service_config)
    assert published == ["data", "event_id", "occurred_at", "request_id", "type"]

    # The publish span ends when the broker confirms, which may be after the consumer has finished: wait for both.
    finished = {"notifier.on_booked", "publish booked"}
    wait_until(lambda: finished <= {s.name for s in exporter.get_finished_spans()}, timeout=10)
    spans = exporter.get_finished_spans()
    by_name = {s.name: s for s in spans}
    trace_id = int(INCOMING.split("-")[1], 16)
    assert {s.context.trace_id for s in spans} == {trace_id}, [s.name for s in spans]

    # The caller's span (from the incoming traceparent) -> front's worker -> its RPC call -> booker's worker
    # -> SQL and the outbox publish -> notifier's handling: every span's parent is in the chain.
    front = by_name["front.book"]
    assert front.parent.span_id == int(INCOMING.split("-")[2], 16)
    call = next(s for s in spans if s.name == "booker.book" and s.kind.name == "CLIENT")
    served = next(s for s in spans if s.name == "booker.book" and s.kind.name == "SERVER")
    assert call.parent.span_id == front.context.span_id
    assert served.parent.span_id == call.context.span_id
    assert served.resource.attributes["service.name"] == "booker"
    sql = [s for s in spans if s.attributes.get("db.statement", s.attributes.get("db.query.text", "")) == "SELECT 1"]
    assert sql and sql[0].parent.span_id == served.context.span_id
    publish = by_name["publish booked"]
    assert publish.kind.name == "PRODUCER" and publish.parent.span_id == served.context.span_id
    # Other ministries get the W3C header of the publish span, and the CloudEvent as built.
    message = wait_until(lambda: ministry.get(no_ack=True), timeout=10, what="the integration event")
    assert "traceparent" not in json.loads(message.body)
    integration = by_name["publish test.booked.v1"]
    assert message.headers["traceparent"] == tracing.format_traceparent(integration.context)
    assert integration.parent.span_id == served.context.span_id
    handled = by_name["notifier.on_booked"]
    assert handled.kind.name == "CONSUMER" and handled.parent.span_id == publish.context.span_id
    assert handled.resource.attributes["service.name"] == "notifier"

    # Every log line written in those workers names the trace and the span it was written in.
    lines = {line["msg"]: line for line in captured_logs}
    assert lines["front asks booker"]["span_id"] == f"{front.context.span_id:016x}"
    assert lines["booker booked"]["span_id"] == f"{served.context.span_id:016x}"
    assert lines["notifier handles"]["span_id"] == f"{handled.context.span_id:016x}"
    assert {line["trace_id"] for line in lines.values()} == {f"{trace_id:032x}"}


def test_with_tracing_off_the_ids_still_cross_rpc_and_events_into_the_logs(
    container_factory, service_config, captured_logs
):
    tracing.use_exporter(None)
    published = run(container_factory, service_config)
    assert "traceparent" not in published
    lines = {line["msg"]: line for line in captured_logs}
    assert set(lines) == {"front asks booker", "booker booked", "notifier handles"}
    for line in lines.values():
        assert line["trace_id"] == INCOMING.split("-")[1], line
        assert line["span_id"] == INCOMING.split("-")[2], line  # no spans: the caller's span id is passed on


def test_traceparent_parsing_refuses_what_w3c_refuses():
    assert tracing.format_traceparent(tracing.parse(INCOMING)) == INCOMING
    assert tracing.parse(INCOMING.upper()) is not None
    for bad in (
        None,
        "",
        "garbage",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff is invalid
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero span id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # version 00 has nothing after
    ):
        assert tracing.parse(bad) is None, bad
