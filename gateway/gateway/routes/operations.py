"""Office operations: staff of that office (admins anywhere) check visitors in, take walk-ins, call the
next visitor to a counter and move tickets along; the board is public."""

import uuid

from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.auth import STAFF_ROLES
from gateway.errors import GatewayError
from gateway.http import api
from gateway.schemas.operations import Board, CheckIn, Ticket, WalkIn


def _staff_of(user, office_code):
    if not user.works_at(office_code):
        raise GatewayError("FORBIDDEN")


def ticket_id_or_404(ticket_id):
    """A ticket id that is not a UUID names no ticket: 404 TICKET_NOT_FOUND, like an unknown one (not a 400)."""
    try:
        return str(uuid.UUID(ticket_id))
    except ValueError:
        raise GatewayError("TICKET_NOT_FOUND") from None


class OperationsRoutes:
    scheduling = ServiceRpc("scheduling")

    @api("POST", "/api/v1/offices/<code>/check-ins", body=CheckIn(), response=Ticket(), status=201,
         auth=STAFF_ROLES, tags=["operations"])  # fmt: skip
    def check_in(self, request, code, body, user):
        """Check a booked visitor in by reservation code (scanned from the QR); twice gives the same ticket."""
        _staff_of(user, code)
        return self.scheduling.check_in(code, body["reservation_code"])

    @api("POST", "/api/v1/offices/<code>/walk-ins", body=WalkIn(), response=Ticket(), status=201,
         auth=STAFF_ROLES, tags=["operations"])  # fmt: skip
    def walk_in(self, request, code, body, user):
        """A visitor without a booking; priority visitors are served first. Honours Idempotency-Key (per staff
        user: same key and body, the first ticket)."""
        _staff_of(user, code)
        return self.scheduling.walk_in(
            code,
            {
                "service_code": body["service_code"],
                "priority": body["priority"],
                "user_id": user.user_id,
                "idempotency_key": request.headers.get("Idempotency-Key") or None,
            },
        )

    @api("POST", "/api/v1/offices/<code>/counters/<counter>/call-next", response=Ticket(), auth=STAFF_ROLES,
         tags=["operations"])  # fmt: skip
    def call_next(self, request, code, counter, user):
        """The next visitor to this counter, or 204 when nobody waits."""
        _staff_of(user, code)
        ticket = self.scheduling.call_next(code, counter)
        return ticket if ticket is not None else Response(status=204)

    def _step(self, ticket_id, action, user):
        office = None if user.role == "admin" else user.office_code
        return self.scheduling.ticket_step(
            {"ticket_id": ticket_id_or_404(ticket_id), "action": action, "office_code": office}
        )

    @api("POST", "/api/v1/tickets/<ticket_id>/start", response=Ticket(), auth=STAFF_ROLES, tags=["operations"])
    def start_ticket(self, request, ticket_id, user):
        """The called visitor is at the counter."""
        return self._step(ticket_id, "start", user)

    @api("POST", "/api/v1/tickets/<ticket_id>/complete", response=Ticket(), auth=STAFF_ROLES, tags=["operations"])
    def complete_ticket(self, request, ticket_id, user):
        """Service done."""
        return self._step(ticket_id, "complete", user)

    @api("POST", "/api/v1/tickets/<ticket_id>/no-show", response=Ticket(), auth=STAFF_ROLES, tags=["operations"])
    def no_show_ticket(self, request, ticket_id, user):
        """Called but did not come."""
        return self._step(ticket_id, "no_show", user)

    @api("GET", "/api/v1/offices/<code>/queue", response=Ticket(many=True), auth=STAFF_ROLES, tags=["operations"])
    def office_queue(self, request, code, user):
        """Waiting tickets in the order they will be called."""
        _staff_of(user, code)
        return self.scheduling.office_queue(code)

    @api("GET", "/api/v1/offices/<code>/board", response=Board(), tags=["operations"])
    def office_board(self, request, code):
        """The public board: who is called to which counter, how many wait, the estimated wait."""
        return self.scheduling.office_board(code)
