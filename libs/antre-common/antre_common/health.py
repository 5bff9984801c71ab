"""Liveness, readiness, metrics and ping: the same entrypoints on every process, the HTTP ones on its internal
port (``INTERNAL_SERVER_ADDRESS``), never on the public one.

Readiness asks the broker and every dependency that has a ``ready()`` method (the database, the object
store) and names the ones that failed, so an SRE reading a 503 knows where to look.
"""

import json

import eventlet
from kombu import Connection
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from antre_common.context import RequestContext
from antre_common.metrics import EntrypointMetrics, exposition
from antre_common.rpc import rpc
from antre_common.tracing import Tracing
from antre_common.web import internal_http

CHECK_TIMEOUT = 3.0


class Readiness(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return self

    def broker_ready(self):
        config = self.container.config
        ssl = config.get(AMQP_SSL_CONFIG_KEY)  # over TLS where the processes speak TLS (Kubernetes)
        with Connection(config[AMQP_URI_CONFIG_KEY], ssl=ssl, connect_timeout=CHECK_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=1)

    def checks(self):
        """``(name, check)`` pairs: the broker, then each extension with ``readiness_name`` and ``ready()``."""
        yield "broker", self.broker_ready
        for ext in self.container.extensions:
            name = getattr(ext, "readiness_name", None)
            if name and callable(getattr(ext, "ready", None)):
                yield name, ext.ready

    def report(self):
        """``(all_ok, {component: "ok" | reason})``; checks run in parallel, each with a deadline."""
        results = {}

        def run(pair):
            name, check = pair
            try:
                with eventlet.Timeout(CHECK_TIMEOUT):
                    check()
                return name, "ok"
            except eventlet.Timeout:
                return name, "timeout"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                return name, f"{type(exc).__name__}: {str(exc)[:200]}"

        pool = eventlet.GreenPool()
        for name, status in pool.imap(run, list(self.checks())):
            results[name] = status
        return all(v == "ok" for v in results.values()), results

    def failed(self, components):
        return sorted(k for k, v in components.items() if v != "ok")


class ServiceBase:
    """Mix into every service class: ``class IdentityService(ServiceBase): name = "identity"``."""

    request_context = RequestContext()
    metrics = EntrypointMetrics()
    tracing = Tracing()
    readiness = Readiness()

    # On the internal port only (antre_common.web.InternalWebServer): the public one answers them 404.
    @internal_http("GET", "/healthz")
    def healthz(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps({"status": "ok"})

    @internal_http("GET", "/readyz")
    def readyz(self, request):
        ok, components = self.readiness.report()
        body = {
            "status": "ready" if ok else "not_ready",
            "components": components,
            "failed": self.readiness.failed(components),
        }
        return (200 if ok else 503), {"Content-Type": "application/json"}, json.dumps(body)

    @internal_http("GET", "/metrics")
    def metrics_endpoint(self, request):
        body, content_type = exposition()
        return Response(body, status=200, content_type=content_type)

    @rpc
    def ping(self):
        """For the gateway's status page: proves the service consumes its RPC queue, and says which of its
        dependencies (database, object store) it cannot reach, as its readiness probe would."""
        ok, components = self.readiness.report()
        return {
            "service": self.name,
            "status": "up" if ok else "not_ready",
            "failed": self.readiness.failed(components),
        }
