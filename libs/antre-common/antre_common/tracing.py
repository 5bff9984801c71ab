"""Distributed tracing with OpenTelemetry: one trace from the gateway through every RPC, SQL statement, outbox
publish and event handler that a request causes (docs/observability.md).

The W3C ``traceparent`` travels where the request id does: in nameko's context data (so in the headers of
every RPC and event a worker sends), and, for events, inside the stored outbox row, which the relay turns
back into a message header when it publishes (the published body is unchanged).

Off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``, or ``file`` with
``ANTRE_TRACES_FILE``); ``OTEL_SDK_DISABLED=true`` turns it off whatever the rest says. Off, no span is made:
a worker only parses the ``traceparent`` it was handed (or draws a fresh one where none came) and makes it
current, so log lines still carry ``trace_id``/``span_id`` and the ids still cross processes. On, every
worker, RPC call, SQL statement (SQLAlchemy), HTTP call (requests) and outbox publish is a span, exported
through the standard ``OTEL_*`` variables.

    tracing.use_exporter(InMemorySpanExporter())   # tests: before the containers start
"""

import json
import logging
import os
import random
import re
from contextlib import contextmanager

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

log = logging.getLogger(__name__)

TRACEPARENT_KEY = "traceparent"  # in context data (nameko header ``nameko.traceparent``) and stored outbox rows
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
_EXPORTERS = ("otlp", "console", "file")


# -- traceparent -------------------------------------------------------------------------------------------


def parse(value):
    """The ``SpanContext`` of a W3C ``traceparent`` (remote), or None if it is absent or malformed."""
    if not value or not isinstance(value, str) or len(value) > 256:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace_id, span_id = int(trace_id, 16), int(span_id, 16)
    if not trace_id or not span_id:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(int(flags, 16) & 0x01))


def format_traceparent(span_context):
    if span_context is None or not span_context.is_valid:
        return None
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{int(span_context.trace_flags):02x}"


def fresh():
    """A new trace's ids, for a request that came without one while tracing is off (not sampled: nobody records)."""
    return SpanContext(random.getrandbits(128) or 1, random.getrandbits(64) or 1, is_remote=True)


def current_span_context():
    context = trace.get_current_span().get_span_context()
    return context if context.is_valid else None


def current_traceparent():
    return format_traceparent(current_span_context())


def log_fields():
    """``trace_id`` and ``span_id`` of the running worker (None outside any), for every JSON log line."""
    context = current_span_context()
    if context is None:
        return None, None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


# -- configuration -----------------------------------------------------------------------------------------


class _State:
    exporter = None  # a SpanExporter, or None: tracing off
    batch = False
    configured = False
    providers = {}  # service name -> TracerProvider (one per process in production; tests run several)
    requests_instrumented = False


_state = _State()


def use_exporter(exporter, batch=False):
    """Turn tracing on in this process with ``exporter`` (tests: an ``InMemorySpanExporter``); None turns it off."""
    for provider in _state.providers.values():
        provider.shutdown()
    _state.providers = {}
    _state.exporter, _state.batch, _state.configured = exporter, batch, True


def exporter_from_env(environ=os.environ):
    """``(exporter, batch)`` from the standard variables, or ``(None, False)``: tracing off."""
    name = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or name in ("", "none"):
        return None, False
    if name == "otlp":
        protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        if protocol not in (None, "", "http/protobuf"):
            raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol}: only http/protobuf is installed")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(), True  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_* (read by the exporter)
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(), False
    if name == "file":
        return JsonLinesFileExporter(environ["ANTRE_TRACES_FILE"]), False
    raise ValueError(f"OTEL_TRACES_EXPORTER={name}: Antre knows {', '.join(_EXPORTERS)} or none")


def _provider(service):
    """The TracerProvider of ``service`` in this process, or None when tracing is off."""
    if not _state.configured:
        _state.exporter, _state.batch = exporter_from_env()
        _state.configured = True
    if _state.exporter is None:
        return None
    provider = _state.providers.get(service)
    if provider is None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        resource = Resource.create({"service.name": service, "service.namespace": "antre"})
        if "OTEL_SERVICE_NAME" in os.environ:  # Resource.create lets it win; one process serves one service
            resource = resource.merge(Resource({"service.name": service}))
        provider = TracerProvider(resource=resource, sampler=_sampler(), shutdown_on_exit=True)
        processor = BatchSpanProcessor if _state.batch else SimpleSpanProcessor
        provider.add_span_processor(processor(_state.exporter))
        _state.providers[service] = provider
    return provider


def tracer(service):
    provider = _provider(service)
    return provider.get_tracer("antre_common.tracing") if provider is not None else None


def enabled(service):
    return _provider(service) is not None


def _sampler():
    """Traces start only at an entrypoint (HTTP request, RPC, event, timer) or an outbox publish: a SQL
    statement or HTTP call made outside any of them (the outbox relay's poll every second, readiness checks)
    is not worth a trace of its own. Otherwise the parent decides (``OTEL_TRACES_SAMPLER_ARG`` sets the ratio
    of new traces kept, 1 by default)."""
    from opentelemetry.sdk.trace.sampling import (
        ALWAYS_ON,
        Decision,
        ParentBased,
        Sampler,
        SamplingResult,
        TraceIdRatioBased,
    )

    ratio = os.environ.get("OTEL_TRACES_SAMPLER_ARG")
    delegate = TraceIdRatioBased(float(ratio)) if ratio else ALWAYS_ON

    class NoOrphanClients(Sampler):
        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, **kw):
            if kind == SpanKind.CLIENT:
                return SamplingResult(Decision.DROP)
            return delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, **kw)

        def get_description(self):
            return f"NoOrphanClients{{{delegate.get_description()}}}"

    return ParentBased(root=NoOrphanClients())


def instrument_engine(engine, service):
    """SQL statements of ``engine`` as child spans of the worker's (only when tracing is on)."""
    provider = _provider(service)
    if provider is None:
        return
    # Per engine (SQLAlchemyInstrumentor instruments once per process, with one provider): the engine's
    # event listeners, as the instrumentor itself attaches them, with this service's tracer.
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    connections = NoOpMeter("antre_common.tracing").create_up_down_counter("db.client.connections.usage")
    EngineTracer(provider.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine, connections)
    _instrument_requests(provider)


def _instrument_requests(provider):
    if _state.requests_instrumented:
        return
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().instrument(tracer_provider=provider)
    _state.requests_instrumented = True


class JsonLinesFileExporter:
    """One JSON object a line per finished span, appended to ``path`` (``{service}`` in it becomes the
    span's service): for tests and for looking at traces without a collector."""

    def __init__(self, path):
        self.path = path

    def export(self, spans):
        from opentelemetry.sdk.trace.export import SpanExportResult

        by_file = {}
        for span in spans:
            service = span.resource.attributes.get("service.name", "unknown")
            parent = span.parent
            line = {
                "service": service,
                "name": span.name,
                "kind": span.kind.name,
                "trace_id": f"{span.context.trace_id:032x}",
                "span_id": f"{span.context.span_id:016x}",
                "parent_span_id": f"{parent.span_id:016x}" if parent else None,
                "start": span.start_time,
                "end": span.end_time,
                "status": span.status.status_code.name,
                "attributes": dict(span.attributes or {}),
            }
            by_file.setdefault(self.path.replace("{service}", service), []).append(json.dumps(line, default=str))
        for path, lines in by_file.items():
            with open(path, "a", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True


# -- spans ---------------------------------------------------------------------------------------------------


def _parent_context(parent):
    return trace.set_span_in_context(NonRecordingSpan(parent)) if parent is not None else otel_context.Context()


@contextmanager
def span(service, name, *, parent=None, kind=SpanKind.INTERNAL, attributes=None):
    """A span of ``service`` under ``parent`` (a SpanContext; None: the current one), made current; yields
    the traceparent its children should carry (when off: the parent's, so ids still cross processes)."""
    tracer_ = tracer(service)
    if tracer_ is None:
        yield format_traceparent(parent or current_span_context())
        return
    context = _parent_context(parent) if parent is not None else None
    with tracer_.start_as_current_span(name, context=context, kind=kind, attributes=attributes) as current:
        yield format_traceparent(current.get_span_context())


def http_status(status):
    """Record the HTTP answer on the current span (a 5xx marks it failed)."""
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attribute("http.response.status_code", status)
        if status >= 500:
            current.set_status(Status(StatusCode.ERROR))


class Tracing(DependencyProvider):
    """Each worker's span (RPC: SERVER, event: CONSUMER, timer: INTERNAL), made current for its log lines and
    its calls; its traceparent replaces the caller's in the worker's context data, so whatever the worker
    sends (RPC, events) is its child. HTTP workers get no span here: the API entrypoint makes one around the
    whole request (gateway.http), and probes and /metrics are not traced."""

    def setup(self):
        self.service = self.container.service_name
        self.workers = {}

    def stop(self):
        provider = _state.providers.get(self.service)
        if provider is not None:
            provider.force_flush()

    def worker_setup(self, worker_ctx):
        data = worker_ctx.context_data
        parent = parse(data.get(TRACEPARENT_KEY))
        entrypoint = worker_ctx.entrypoint
        tracer_ = None if isinstance(entrypoint, HttpRequestHandler) else tracer(self.service)
        if tracer_ is None:
            # Off (or an HTTP worker, whose span the entrypoint made): the caller's ids become the current ones.
            if parent is None and not isinstance(entrypoint, HttpRequestHandler):
                parent = fresh()
                data[TRACEPARENT_KEY] = format_traceparent(parent)
            current = NonRecordingSpan(parent) if parent is not None else None
        else:
            kind, attributes = _describe(entrypoint, self.service)
            current = tracer_.start_span(
                f"{self.service}.{entrypoint.method_name}",
                context=_parent_context(parent),
                kind=kind,
                attributes=attributes,
            )
            data[TRACEPARENT_KEY] = format_traceparent(current.get_span_context())
        if current is not None:
            token = otel_context.attach(trace.set_span_in_context(current))
            self.workers[worker_ctx] = (current, token)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        current, _ = self.workers.get(worker_ctx, (None, None))
        if exc_info is not None and current is not None and current.is_recording():
            expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ())
            if not (expected and issubclass(exc_info[0], expected)):
                current.set_status(Status(StatusCode.ERROR, exc_info[0].__name__))
            current.record_exception(exc_info[1])

    def worker_teardown(self, worker_ctx):
        current, token = self.workers.pop(worker_ctx, (None, None))
        if current is None:
            return
        if current.is_recording():
            current.end()
        try:
            otel_context.detach(token)
        except Exception:  # noqa: BLE001 - a worker's context must never fail its teardown
            log.debug("trace context already detached")


def _describe(entrypoint, service):
    if isinstance(entrypoint, Rpc):
        return SpanKind.SERVER, {"rpc.system": "nameko", "rpc.service": service, "rpc.method": entrypoint.method_name}
    if isinstance(entrypoint, EventHandler):
        return SpanKind.CONSUMER, {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": f"{entrypoint.source_service}.events",
            "messaging.rabbitmq.destination.routing_key": entrypoint.event_type,
        }
    if isinstance(entrypoint, Timer):
        return SpanKind.INTERNAL, {"antre.timer": entrypoint.method_name}
    return SpanKind.INTERNAL, {}
