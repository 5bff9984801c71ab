"""The HTTP edge: one nameko service made of one route mixin per part of the API."""

from antre_common.health import ServiceBase
from gateway.routes.bookings import BookingRoutes
from gateway.routes.catalogue import CatalogueRoutes
from gateway.routes.documents import DocumentRoutes
from gateway.routes.family import FamilyRoutes
from gateway.routes.identity import IdentityRoutes
from gateway.routes.insight import InsightRoutes
from gateway.routes.integration import IntegrationRoutes
from gateway.routes.messages import MessageRoutes
from gateway.routes.operations import OperationsRoutes
from gateway.routes.payments import PaymentRoutes
from gateway.routes.releases import ReleaseRoutes
from gateway.routes.status import StatusRoutes
from gateway.routes.web import WebRoutes


class GatewayService(
    StatusRoutes,
    IdentityRoutes,
    FamilyRoutes,
    CatalogueRoutes,
    BookingRoutes,
    ReleaseRoutes,
    OperationsRoutes,
    InsightRoutes,
    DocumentRoutes,
    MessageRoutes,
    IntegrationRoutes,
    PaymentRoutes,
    WebRoutes,
    ServiceBase,
):
    name = "gateway"
