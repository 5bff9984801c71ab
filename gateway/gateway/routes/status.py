"""Public status of the suite, the API contract, and the answer for a path the API does not have."""

import logging
import time

import eventlet

from antre_common.errors import ServiceUnavailable
from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api
from gateway.openapi import ApiSpec
from gateway.schemas import StatusResponse

log = logging.getLogger(__name__)

SERVICES = ("identity", "scheduling", "documents", "notification", "payment", "integration")  # payment: PaymentRoutes
PING_TIMEOUT = 2.0


class StatusRoutes:
    identity = ServiceRpc("identity")
    scheduling = ServiceRpc("scheduling")
    documents = ServiceRpc("documents")
    notification = ServiceRpc("notification")
    integration = ServiceRpc("integration")
    api_spec = ApiSpec()

    @api("GET", "/api/v1/status", response=StatusResponse(), tags=["status"])
    def status(self, request):
        """Each service up or down, with its RPC round trip, so an outage is visible instead of guessed."""

        def ping(name):
            started = time.perf_counter()
            try:
                answer = getattr(self, name).ping(timeout=PING_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - whatever breaks one service must not break the page
                if not isinstance(exc, ServiceUnavailable):
                    log.warning("ping failed", extra={"service": name, "error": type(exc).__name__})
                return {"name": name, "status": "down", "rtt_ms": None, "failed": ["service"]}
            # A service that answers but cannot reach its database or store is down for the people using it.
            failed = answer.get("failed") or []
            return {
                "name": name,
                "status": "down" if failed else "up",
                "rtt_ms": round((time.perf_counter() - started) * 1000, 1),
                "failed": failed,
            }

        pool = eventlet.GreenPool()
        announced = pool.spawn(self._disruptions)
        return {"services": list(pool.imap(ping, SERVICES)), "disruptions": announced.wait()}

    def _disruptions(self):
        """Announced office disruptions; none shown (not an error) while scheduling cannot answer."""
        try:
            return self.scheduling.list_disruptions(timeout=PING_TIMEOUT)
        except Exception:  # noqa: BLE001 - the page must show the services' state whatever happens here
            return []

    @api("GET", "/api/v1/openapi.json", tags=["status"])
    def openapi(self, request):
        """This API as OpenAPI 3, generated from the gateway's own schemas."""
        return self.api_spec

    @api("GET,POST,PUT,PATCH,DELETE", "/<path:path>", documented=False)
    def unknown_path(self, request, path):
        """Any path the API does not have: a problem+json 404 like every other error; a browser opening an
        address outside the API gets the web app's "page not found" (still 404)."""
        if request.method == "GET" and not path.startswith("api/") and wants_html(request):
            return self.not_found_page(request)  # declared by WebRoutes
        raise GatewayError("NOT_FOUND")


def wants_html(request):
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
