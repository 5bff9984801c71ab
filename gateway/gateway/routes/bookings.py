"""Citizen bookings: book, list, look up, cancel, reschedule, and the QR of the reservation code.

A booking belongs to the account that made it (the holder), for the holder or one of their dependents
(``person_id``; identity says whom a holder may book for, and the person's NIK reference binds the one-active-
booking rule); anyone else gets 404, staff of the booking's office may look it up.
"""

import base64

from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api, client_ip
from gateway.limits import EdgeLimits
from gateway.schemas.bookings import Booking, BookingRequest, RescheduleRequest

CITIZEN = ("citizen",)


def person_ref(user):
    """The person a citizen books for (their NIK's reference); an account without one cannot book."""
    if not user.person_ref:
        raise GatewayError("FORBIDDEN", reason="account without a verified NIK")
    return user.person_ref


def _owner_or_staff(user, booking):
    if booking["user_id"] == user.user_id or (user.is_staff and user.works_at(booking["office_code"])):
        return booking
    raise GatewayError("BOOKING_NOT_FOUND")  # never reveal that someone else's booking exists


class BookingRoutes:
    scheduling = ServiceRpc("scheduling")
    limits = EdgeLimits()  # also used by the catalogue and identity routes
    identity = ServiceRpc("identity")

    @api("POST", "/api/v1/bookings", body=BookingRequest(), response=Booking(), status=201, auth=CITIZEN,
         tags=["bookings"])  # fmt: skip
    def create_booking(self, request, body, user):
        """Book a seat; honours Idempotency-Key (same key and body: the first result). While the slot's release
        has people waiting, ``admission`` from the waiting room is needed. ``person_id``: the holder (default)
        or one of their dependents (someone else's: 404). Rate limited per account and address; when this
        process has its bound of bookings in flight, 429 TOO_BUSY at once."""
        ref = person_ref(user)
        person = {"person_id": user.user_id, "person_ref": ref}
        if body.get("person_id") and str(body["person_id"]) != user.user_id:
            person = self.identity.person_for_booking(user.user_id, str(body["person_id"]))  # someone else's: 404
        self.limits.check("booking", account=user.user_id, address=client_ip(request))
        with self.limits.booking_slot():
            booking = self.scheduling.create_booking(
                {
                    "user_id": user.user_id,
                    **person,
                    "slot_id": str(body["slot_id"]),
                    "service_code": body["service_code"],
                    "idempotency_key": request.headers.get("Idempotency-Key") or None,
                    "admission": str(body["admission"]) if body.get("admission") else None,
                    "priority": body.get("priority"),
                }
            )
        return self._seats_changed(booking)

    @api("GET", "/api/v1/bookings", response=Booking(many=True), auth=CITIZEN, tags=["bookings"])
    def list_bookings(self, request, user):
        """My bookings, latest slot first."""
        return self.scheduling.list_bookings(user.user_id)

    @api("GET", "/api/v1/bookings/<code>", response=Booking(), auth=True, tags=["bookings"])
    def get_booking(self, request, code, user):
        """One booking (its owner, or staff of its office)."""
        return _owner_or_staff(user, self.scheduling.get_booking(code))

    @api("POST", "/api/v1/bookings/<code>/cancel", response=Booking(), auth=CITIZEN, tags=["bookings"])
    def cancel_booking(self, request, code, user):
        """Cancel until the slot starts; the seat is free again at once."""
        return self._seats_changed(self.scheduling.cancel_booking({"reservation_code": code, "user_id": user.user_id}))

    @api("POST", "/api/v1/bookings/<code>/reschedule", body=RescheduleRequest(), response=Booking(), auth=CITIZEN,
         tags=["bookings"])  # fmt: skip
    def reschedule_booking(self, request, code, body, user):
        """Move the booking once to another slot of the same office, at least 24 hours before it."""
        return self._seats_changed(
            self.scheduling.reschedule_booking(
                {"reservation_code": code, "user_id": user.user_id, "slot_id": str(body["slot_id"])}
            )
        )

    def _seats_changed(self, booking):
        """This process shows the change at once; other replicas when scheduling's event reaches them."""
        self.availability_cache.drop(booking["office_code"])  # declared by CatalogueRoutes
        return booking

    @api("GET", "/api/v1/bookings/<code>/qr", auth=True, media=("image/png", "image/svg+xml"), tags=["bookings"])
    def booking_qr(self, request, code, user):
        """The reservation code as a QR image: PNG, or SVG on ``Accept: image/svg+xml``."""
        booking = _owner_or_staff(user, self.scheduling.get_booking(code))
        best = request.accept_mimetypes.best_match(["image/png", "image/svg+xml"], default="image/png")
        image = self.scheduling.render_qr(booking["reservation_code"], "svg" if best == "image/svg+xml" else "png")
        response = Response(base64.b64decode(image["data"]), status=200, content_type=image["content_type"])
        response.headers["Cache-Control"] = "private, no-store"  # the code is personal; the app keeps its own copy
        return response
