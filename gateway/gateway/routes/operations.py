"""Office operations: staff of that office (admins anywhere) check visitors in, take walk-ins, call the
next visitor to a counter and move tickets along; the board is public."""

import logging
import uuid

from nameko.events import BROADCAST
from werkzeug.wrappers import Response

from antre_common.consumers import event_handler
from antre_common.rpc import ServiceRpc
from gateway.auth import STAFF_ROLES
from gateway.board_stream import BoardHub, cause_of
from gateway.errors import GatewayError
from gateway.http import api
from gateway.schemas.operations import Board, CheckIn, DayQuery, OfficeBooking, Quotas, Ticket, Transfer, WalkIn


def _staff_of(user, office_code):
    if not user.works_at(office_code):
        raise GatewayError("FORBIDDEN")


def ticket_id_or_404(ticket_id):
    """A ticket id that is not a UUID names no ticket: 404 TICKET_NOT_FOUND, like an unknown one (not a 400)."""
    try:
        return str(uuid.UUID(ticket_id))
    except ValueError:
        raise GatewayError("TICKET_NOT_FOUND") from None


log = logging.getLogger(__name__)


def _day(query):
    return query["date"].isoformat() if query["date"] else None


class OperationsRoutes:
    scheduling = ServiceRpc("scheduling")
    documents = ServiceRpc("documents")
    board_hub = BoardHub()

    @api("POST", "/api/v1/offices/<code>/check-ins", body=CheckIn(), response=Ticket(), status=201,
         auth=STAFF_ROLES, tags=["operations"])  # fmt: skip
    def check_in(self, request, code, body, user):
        """Check a booked visitor in by reservation code (scanned from the QR) once the officer compared the
        KTP with the holder (``identity_confirmed``); ``priority`` confirms or sets it. Twice: the same ticket."""
        _staff_of(user, code)
        return self.scheduling.check_in(code, dict(body, user_id=user.user_id))

    @api("GET", "/api/v1/offices/<code>/bookings", query=DayQuery(), response=OfficeBooking(many=True),
         auth=STAFF_ROLES, tags=["operations"])  # fmt: skip
    def office_bookings(self, request, code, query, user):
        """The day's bookings (default today) with their holder (name, masked NIK, birth date), priority
        (declared, or lansia from the birth date) and ticket: what the officer compares with the KTP."""
        _staff_of(user, code)
        bookings = self.scheduling.office_bookings({"office_code": code, "date": _day(query)})
        states = self._documents_of(code, bookings, user)
        for booking in bookings:
            booking["documents"] = None if states is None else states.get(booking["reservation_code"])
        return bookings

    def _documents_of(self, code, bookings, user):
        """Each booking's checklist state from documents (None while documents cannot answer: the list is
        for checking people in, which must not wait on documents)."""
        if not bookings:
            return {}
        day = bookings[0]["date"]  # and later ones: documents may still hold an earlier date of a moved booking
        try:
            visits = self.documents.office_visits({"office_code": code, "date_from": day}, timeout=2)
        except Exception:  # noqa: BLE001 - any failure there leaves the column empty, never the list
            log.warning("documents did not answer for the day's bookings", extra={"office_code": code})
            return None
        return {v["reservation_code"]: v for v in visits}

    @api("GET", "/api/v1/offices/<code>/quotas", query=DayQuery(), response=Quotas(), auth=STAFF_ROLES,
         tags=["operations"])  # fmt: skip
    def office_quotas(self, request, code, query, user):
        """The day's walk-in and priority shares of capacity (counter-minutes) and how much is used."""
        _staff_of(user, code)
        return self.scheduling.office_quotas({"office_code": code, "date": _day(query)})

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
         answers=(204,), tags=["operations"])  # fmt: skip
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

    def _move(self, request, ticket_id, action, user, **target):
        return self.scheduling.ticket_move(
            {
                "ticket_id": ticket_id_or_404(ticket_id),
                "action": action,
                "office_code": None if user.role == "admin" else user.office_code,
                "user_id": user.user_id,
                "idempotency_key": request.headers.get("Idempotency-Key") or None,
                **target,
            }
        )

    @api("POST", "/api/v1/tickets/<ticket_id>/recall", response=Ticket(), auth=STAFF_ROLES, tags=["operations"])
    def recall_ticket(self, request, ticket_id, user):
        """Call the called visitor again (the board shows it, they are told again); with Idempotency-Key a
        retry does not call a third time."""
        return self._move(request, ticket_id, "recall", user)

    @api("POST", "/api/v1/tickets/<ticket_id>/transfer", body=Transfer(), response=Ticket(), auth=STAFF_ROLES,
         tags=["operations"])  # fmt: skip
    def transfer_ticket(self, request, ticket_id, body, user):
        """Send the visitor to another ``counter`` (called next there) or ``service_code`` (keeps their place)."""
        return self._move(request, ticket_id, "transfer", user, **body)

    @api("POST", "/api/v1/tickets/<ticket_id>/requeue", response=Ticket(), auth=STAFF_ROLES, tags=["operations"])
    def requeue_ticket(self, request, ticket_id, user):
        """A late arrival after a no-show, the same day: back at the end of the queue."""
        return self._move(request, ticket_id, "requeue", user)

    @api("GET", "/api/v1/offices/<code>/queue", response=Ticket(many=True), auth=STAFF_ROLES, tags=["operations"])
    def office_queue(self, request, code, user):
        """Waiting tickets in the order they will be called."""
        _staff_of(user, code)
        return self.scheduling.office_queue(code)

    @api("GET", "/api/v1/offices/<code>/board", response=Board(), tags=["operations"])
    def office_board(self, request, code):
        """The public board: who is called to which counter, how many wait, the estimated wait."""
        return self.scheduling.office_board(code)

    @api("GET", "/api/v1/offices/<code>/board/stream", media=("text/event-stream",), tags=["operations"])
    def office_board_stream(self, request, code):
        """The public board as server-sent events (``text/event-stream``): the board now, then one ``board``
        event per change, driven by the ticket events (nobody polls)."""
        queue = self.board_hub.subscribe(code)  # before reading: no change between the two is missed
        try:
            board = self.scheduling.office_board(code)
        except Exception:
            self.board_hub.unsubscribe(code, queue)
            raise
        request.environ["eventlet.minimum_write_chunk_size"] = 0  # send each event at once, unbuffered
        return self.board_hub.stream(code, queue, board)

    # Every replica gets every ticket event (its own broadcast queue) and refreshes the boards it streams.
    @event_handler("scheduling", "ticket_issued", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_issued(self, envelope):
        self._board_changed(envelope)

    @event_handler("scheduling", "ticket_called", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_called(self, envelope):
        self._board_changed(envelope)

    @event_handler("scheduling", "ticket_completed", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_completed(self, envelope):
        self._board_changed(envelope)

    @event_handler("scheduling", "ticket_no_show", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_no_show(self, envelope):
        self._board_changed(envelope)

    @event_handler("scheduling", "ticket_transferred", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_transferred(self, envelope):
        self._board_changed(envelope)

    @event_handler("scheduling", "ticket_requeued", handler_type=BROADCAST, reliable_delivery=False)
    def on_ticket_requeued(self, envelope):
        self._board_changed(envelope)

    def _board_changed(self, envelope):
        office_code = (envelope.get("data") or {}).get("office_code")
        if office_code and self.board_hub.watched(office_code):
            self.board_hub.publish(office_code, self.scheduling.office_board(office_code), cause_of(envelope))
