"""Traces across the real processes: one booking is one connected trace from the gateway through scheduling,
its SQL and its outbox publish, to notification's handling (each process exports to its own file, configured
by the standard OTEL_* variables); and with tracing off, as ``make run`` starts it, a caller's traceparent
still names the log lines of the gateway and of scheduling."""

import json
import uuid

import pytest

from antre_common.testing import wait_until
from antre_dev.stack import Stack, StackConfig

from .test_scheduling import first_slot
from .tokens import bearer, citizen


def traceparent():
    return f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"


@pytest.fixture(scope="module")
def traced_stack(tmp_path_factory):
    var = tmp_path_factory.mktemp("traced")
    env = {"OTEL_TRACES_EXPORTER": "file", "ANTRE_TRACES_FILE": str(var / "traces-{service}.jsonl")}
    with Stack(StackConfig.for_tests(var, env=env)) as running:
        yield running


def spans_of(stack, service, trace_id):
    path = stack.config.var / f"traces-{service}.jsonl"
    if not path.exists():
        return []
    spans = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [s for s in spans if s["trace_id"] == trace_id]


def test_one_booking_is_one_connected_trace_across_gateway_scheduling_and_notification(traced_stack):
    from antre_common.testing import HttpClient

    gateway = HttpClient(traced_stack.config.gateway_url)
    incoming = traceparent()
    trace_id, caller_span = incoming.split("-")[1:3]
    slot = first_slot(gateway)
    created = gateway.post(
        "/api/v1/bookings",
        json={"slot_id": slot["slot_id"], "service_code": "paspor_hilang"},
        headers=bearer(traced_stack, citizen(), traceparent=incoming),
    )
    assert created.status_code == 201, created.text

    def finished():
        # A span is written when it ends, and the RPC reply leaves before the worker's span ends: wait for all.
        spans = [
            s for name in ("gateway", "scheduling", "notification") for s in spans_of(traced_stack, name, trace_id)
        ]
        names = {(s["service"], s["kind"], s["name"]) for s in spans}
        wanted = {
            ("gateway", "SERVER", "POST /api/v1/bookings"),
            ("scheduling", "SERVER", "scheduling.create_booking"),
            ("scheduling", "PRODUCER", "publish booking_created"),
            ("notification", "CONSUMER", "notification.on_booking_created"),
        }
        return spans if wanted <= names else None

    spans = wait_until(finished, timeout=30, what="the booking's spans in every process")
    by_id = {s["span_id"]: s for s in spans}

    def one(service, kind, name):
        found = [s for s in spans if (s["service"], s["kind"], s["name"]) == (service, kind, name)]
        assert len(found) == 1, (service, kind, name, [(s["service"], s["kind"], s["name"]) for s in spans])
        return found[0]

    edge = one("gateway", "SERVER", "POST /api/v1/bookings")
    assert edge["parent_span_id"] == caller_span  # the caller's trace continues
    assert edge["attributes"]["http.response.status_code"] == 201
    call = one("gateway", "CLIENT", "scheduling.create_booking")
    served = one("scheduling", "SERVER", "scheduling.create_booking")
    publish = one("scheduling", "PRODUCER", "publish booking_created")
    sql = [
        s
        for s in spans
        if (s["service"], s["kind"], s["parent_span_id"]) == ("scheduling", "CLIENT", served["span_id"])
    ]
    assert call["parent_span_id"] == edge["span_id"]
    assert served["parent_span_id"] == call["span_id"]
    assert any(s["attributes"].get("db.statement", "").lstrip().startswith("WITH seat") for s in sql), sql
    assert publish["parent_span_id"] == served["span_id"]
    consumed = one("notification", "CONSUMER", "notification.on_booking_created")
    assert consumed["parent_span_id"] == publish["span_id"]
    # Connected: every span of the chain above has its parent in the trace.
    assert all(s["parent_span_id"] in by_id for s in (call, served, publish, consumed, *sql))


def test_a_callers_traceparent_names_the_gateways_and_schedulings_log_lines(stack, gateway):
    """The session's stack runs as ``make run`` does: tracing off (no OTEL_TRACES_EXPORTER)."""
    assert "OTEL_TRACES_EXPORTER" not in stack.env()
    incoming = traceparent()
    trace_id = incoming.split("-")[1]
    # A slot that does not exist: scheduling refuses, and both processes log the refusal.
    refused = gateway.post(
        "/api/v1/bookings",
        json={"slot_id": str(uuid.uuid4()), "service_code": "paspor_hilang"},
        headers=bearer(stack, citizen(), traceparent=incoming),
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "SLOT_NOT_FOUND"), refused.text

    def lines_with_trace(name):
        found = []
        for line in (stack.logs / f"{name}.log").read_text(errors="replace").splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue  # a line that some library printed itself
            if doc.get("trace_id") == trace_id:
                found.append(doc)
        return found

    gateway_lines = wait_until(lambda: lines_with_trace("gateway"), timeout=10)
    scheduling_lines = wait_until(lambda: lines_with_trace("scheduling"), timeout=10)
    assert {line["request_id"] for line in gateway_lines} == {line["request_id"] for line in scheduling_lines}
    assert refused.headers["X-Request-Id"] == gateway_lines[0]["request_id"]
