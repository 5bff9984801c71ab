"""Public status of the suite and the API contract."""

import time

import eventlet

from antre_common.errors import ServiceUnavailable
from antre_common.rpc import ServiceRpc
from gateway.http import api
from gateway.openapi import ApiSpec
from gateway.schemas import StatusResponse

SERVICES = ("identity", "scheduling", "documents", "notification")
PING_TIMEOUT = 2.0


class StatusRoutes:
    identity = ServiceRpc("identity")
    scheduling = ServiceRpc("scheduling")
    documents = ServiceRpc("documents")
    notification = ServiceRpc("notification")
    api_spec = ApiSpec()

    @api("GET", "/api/v1/status", response=StatusResponse(), tags=["status"])
    def status(self, request):
        """Each service up or down, with its RPC round trip, so an outage is visible instead of guessed."""

        def ping(name):
            started = time.perf_counter()
            try:
                getattr(self, name).ping(timeout=PING_TIMEOUT)
            except ServiceUnavailable:
                return {"name": name, "status": "down", "rtt_ms": None}
            return {"name": name, "status": "up", "rtt_ms": round((time.perf_counter() - started) * 1000, 1)}

        return {"services": list(eventlet.GreenPool().imap(ping, SERVICES))}

    @api("GET", "/api/v1/openapi.json", tags=["status"])
    def openapi(self, request):
        """This API as OpenAPI 3, generated from the gateway's own schemas."""
        return self.api_spec
