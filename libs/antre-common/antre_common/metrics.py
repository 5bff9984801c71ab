"""Prometheus metrics for every entrypoint of a process: calls, errors and a latency histogram.

Names follow ``antre_<service>_<thing>_<unit>``; one process runs one service, so the default registry is
the process's and ``/metrics`` serves it.
"""

import time

from nameko.extensions import DependencyProvider
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

_families = {}

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def metric(kind, name, documentation, labelnames=(), **kwargs):
    """Create a metric once per process (containers restart in tests; the registry is global)."""
    if name not in _families:
        _families[name] = kind(name, documentation, labelnames, **kwargs)
    return _families[name]


def service_metric_name(service, thing):
    return f"antre_{service.replace('-', '_')}_{thing}"


class EntrypointMetrics(DependencyProvider):
    def setup(self):
        service = self.container.service_name
        self.calls = metric(
            Counter,
            service_metric_name(service, "entrypoint_calls_total"),
            "Entrypoint calls, by entrypoint.",
            ("entrypoint",),
        )
        self.errors = metric(
            Counter,
            service_metric_name(service, "entrypoint_errors_total"),
            "Entrypoint calls that raised, by entrypoint and error type.",
            ("entrypoint", "error"),
        )
        self.latency = metric(
            Histogram,
            service_metric_name(service, "entrypoint_duration_seconds"),
            "Entrypoint latency, by entrypoint.",
            ("entrypoint",),
            buckets=LATENCY_BUCKETS,
        )
        self.started = {}

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        start = self.started.pop(worker_ctx, None)
        name = worker_ctx.entrypoint.method_name
        self.calls.labels(name).inc()
        if start is not None:
            self.latency.labels(name).observe(time.perf_counter() - start)
        if exc_info is not None:
            self.errors.labels(name, exc_info[0].__name__).inc()

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)


def exposition():
    """The body and content type of ``/metrics``."""
    return generate_latest(), CONTENT_TYPE_LATEST
