"""Quota releases, waiting rooms and the waitlist (issue 21): a release is fair, not a race.

Scheduling keeps every place in PostgreSQL, so any gateway and any scheduling replica answers the same; the
gateway only checks the caller and passes their id.
"""

from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api
from gateway.routes.bookings import CITIZEN, person_ref
from gateway.schemas.bookings import Booking
from gateway.schemas.releases import NewRelease, QueuePlace, Release, WaitlistEntry, WaitlistRequest


class ReleaseRoutes:
    scheduling = ServiceRpc("scheduling")

    @api("GET", "/api/v1/offices/<code>/releases", response=Release(many=True), tags=["releases"])
    def list_releases(self, request, code):
        """The office's releases from today: when each opens, its waiting room, seats left and status."""
        return self.scheduling.list_releases(code)

    @api("POST", "/api/v1/offices/<code>/releases", body=NewRelease(), response=Release(), status=201,
         auth=("supervisor", "admin"), tags=["releases"])  # fmt: skip
    def create_release(self, request, code, body, user):
        """An extra day of quota after the rolling window, opening at ``opens_at`` (supervisor of the office)."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        return self.scheduling.create_release(
            {"office_code": code, "date": body["date"].isoformat(), "opens_at": body["opens_at"].isoformat()}
        )

    @api("POST", "/api/v1/releases/<release_id>/queue", response=QueuePlace(), status=201, auth=CITIZEN,
         tags=["releases"])  # fmt: skip
    def join_queue(self, request, release_id, user):
        """A place in the waiting room (random among those who join before the opening); twice: the same."""
        with self.limits.slot("queue"):  # declared by BookingRoutes
            return self.scheduling.queue_place({"release_id": release_id, "user_id": user.user_id}, join=True)

    @api("GET", "/api/v1/releases/<release_id>/queue", response=QueuePlace(), auth=CITIZEN, tags=["releases"])
    def queue_place(self, request, release_id, user):
        """My place: position, how many are ahead, when to ask again, or the admission once it is my turn."""
        with self.limits.slot("queue"):
            return self.scheduling.queue_place({"release_id": release_id, "user_id": user.user_id})

    @api("POST", "/api/v1/waitlist", body=WaitlistRequest(), response=WaitlistEntry(), status=201, auth=CITIZEN,
         tags=["waitlist"])  # fmt: skip
    def join_waitlist(self, request, body, user):
        """Wait for a seat of a full day; a freed seat is held and offered by email and SMS."""
        return self.scheduling.join_waitlist(
            {
                "user_id": user.user_id,
                "person_ref": person_ref(user),
                "office_code": body["office_code"],
                "service_code": body["service_code"],
                "date": body["date"].isoformat(),
            }
        )

    @api("GET", "/api/v1/waitlist", response=WaitlistEntry(many=True), auth=CITIZEN, tags=["waitlist"])
    def my_waitlist(self, request, user):
        """My waitlist entries, newest first, with a live offer's slot and deadline."""
        return self.scheduling.my_waitlist(user.user_id)

    @api("DELETE", "/api/v1/waitlist/<waitlist_id>", status=204, auth=CITIZEN, tags=["waitlist"])
    def leave_waitlist(self, request, waitlist_id, user):
        """Leave the waitlist; a seat held for me goes to the next person."""
        self.scheduling.waitlist_action({"waitlist_id": waitlist_id, "user_id": user.user_id})
        return Response(status=204)

    @api("POST", "/api/v1/waitlist/<waitlist_id>/accept", response=Booking(), status=201, auth=CITIZEN,
         tags=["waitlist"])  # fmt: skip
    def accept_offer(self, request, waitlist_id, user):
        """Book the seat offered to me, before the offer's deadline."""
        booking = self.scheduling.waitlist_action({"waitlist_id": waitlist_id, "user_id": user.user_id}, accept=True)
        self.availability_cache.drop(booking["office_code"])  # declared by CatalogueRoutes
        return booking
