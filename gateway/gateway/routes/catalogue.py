"""Catalogue and availability (public), and office capacity (supervisors of that office, admins)."""

from nameko.events import BROADCAST

from antre_common.consumers import event_handler
from antre_common.rpc import ServiceRpc
from gateway.availability_cache import AvailabilityCache
from gateway.errors import GatewayError
from gateway.http import api, client_ip
from gateway.schemas.catalogue import (
    AvailabilityQuery,
    CapacityRequest,
    CapacityResult,
    Office,
    OfficeSummary,
    Service,
    Slot,
)


def _iso(value):
    return value.isoformat() if value is not None else None


class CatalogueRoutes:
    scheduling = ServiceRpc("scheduling")
    availability_cache = AvailabilityCache()  # also dropped by the booking routes after a change

    @api("GET", "/api/v1/offices", response=OfficeSummary(many=True), tags=["catalogue"])
    def list_offices(self, request):
        """Every Kantor Imigrasi taking bookings, with its time zone and when new quota opens."""
        return self.scheduling.list_offices()

    @api("GET", "/api/v1/offices/<code>", response=Office(), tags=["catalogue"])
    def get_office(self, request, code):
        """One office with opening hours, counters and closures."""
        return self.scheduling.get_office(code)

    @api("GET", "/api/v1/services", response=Service(many=True), tags=["catalogue"])
    def list_services(self, request):
        """Passport services with their duration, required documents and fee (null: paid at the office)."""
        fees = self.fees_by_service()  # PaymentRoutes
        return [dict(s, fee=fees.get(s["code"]) if s.get("prepaid") else None) for s in self.scheduling.list_services()]

    @api(
        "GET",
        "/api/v1/offices/<code>/availability",
        query=AvailabilityQuery(),
        response=Slot(many=True),
        tags=["catalogue"],
    )
    def availability(self, request, code, query):
        """Slots with seats left for a service, in office local time (default: the whole open window).
        Rate limited per client address."""
        self.limits.check("availability", address=client_ip(request))  # declared by BookingRoutes
        ask = {
            "office_code": code,
            "service_code": query["service"],
            "date_from": _iso(query["from_"]),
            "date_to": _iso(query["to"]),
        }
        key = (code, ask["service_code"], ask["date_from"], ask["date_to"])
        return self.availability_cache.get(key, lambda: self.scheduling.get_availability(ask))

    @api(
        "PUT",
        "/api/v1/offices/<code>/capacity",
        body=CapacityRequest(),
        response=CapacityResult(),
        auth=("supervisor", "admin"),
        tags=["catalogue"],
    )
    def update_capacity(self, request, code, body, user):
        """Counters, opening hours, online share, slot length, closures; booked slots are never dropped."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        if "closures" in body:
            body["closures"] = [dict(c, date=c["date"].isoformat()) for c in body["closures"]]
        result = self.scheduling.update_capacity(code, body)
        self.availability_cache.drop(code)
        return result

    # Seats changed somewhere (any gateway, a timer): every replica drops the office's answers.
    @event_handler("scheduling", "booking_created", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_created(self, envelope):
        self.availability_cache.drop(envelope["data"]["office_code"])

    @event_handler("scheduling", "booking_cancelled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_cancelled(self, envelope):
        self.availability_cache.drop(envelope["data"]["office_code"])

    @event_handler("scheduling", "booking_rescheduled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_rescheduled(self, envelope):
        self.availability_cache.drop(envelope["data"]["office_code"])

    @event_handler("scheduling", "availability_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_availability_changed(self, envelope):
        self.availability_cache.drop(envelope["data"]["office_code"])
