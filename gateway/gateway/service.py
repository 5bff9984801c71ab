"""The HTTP edge: one nameko service made of one route mixin per part of the API."""

from antre_common.health import ServiceBase
from gateway.routes.status import StatusRoutes


class GatewayService(StatusRoutes, ServiceBase):
    name = "gateway"
