"""Tracing is configured by the standard OTEL_* variables only, and is off unless an exporter is named."""

import json

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from antre_common import tracing


@pytest.mark.parametrize(
    "environ",
    [{}, {"OTEL_TRACES_EXPORTER": "none"}, {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}],
)
def test_off_unless_an_exporter_is_named(environ):
    assert tracing.exporter_from_env(environ) == (None, False)


def test_the_standard_exporters():
    otlp, batch = tracing.exporter_from_env(
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector.invalid:4318"}
    )
    assert isinstance(otlp, OTLPSpanExporter) and batch
    assert isinstance(tracing.exporter_from_env({"OTEL_TRACES_EXPORTER": "console"})[0], ConsoleSpanExporter)
    with pytest.raises(ValueError, match="http/protobuf"):
        tracing.exporter_from_env({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    with pytest.raises(ValueError, match="jaeger"):
        tracing.exporter_from_env({"OTEL_TRACES_EXPORTER": "jaeger"})


def test_the_file_exporter_writes_one_line_per_span_per_service(tmp_path):
    exporter, batch = tracing.exporter_from_env(
        {"OTEL_TRACES_EXPORTER": "file", "ANTRE_TRACES_FILE": str(tmp_path / "traces-{service}.jsonl")}
    )
    assert not batch
    tracing.use_exporter(exporter)
    try:
        parent = tracing.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        with tracing.span("alpha", "outer", parent=parent) as traceparent:
            assert traceparent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
            assert tracing.log_fields()[0] == "4bf92f3577b34da6a3ce929d0e0e4736"
        with tracing.span("beta", "other"):
            pass
    finally:
        tracing.use_exporter(None)
    [alpha] = [json.loads(line) for line in (tmp_path / "traces-alpha.jsonl").read_text().splitlines()]
    assert (alpha["name"], alpha["parent_span_id"], alpha["service"]) == ("outer", "00f067aa0ba902b7", "alpha")
    [beta] = [json.loads(line) for line in (tmp_path / "traces-beta.jsonl").read_text().splitlines()]
    assert beta["parent_span_id"] is None and beta["trace_id"] != alpha["trace_id"]


def test_off_a_span_costs_nothing_and_passes_the_parent_on():
    tracing.use_exporter(None)
    parent = tracing.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    with tracing.span("alpha", "outer", parent=parent) as traceparent:
        assert traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert tracing.log_fields() == (None, None)
