"""Documents service entrypoints. Domain rules live beside this file (bookings, uploads, retention, access,
files, checklist, crypto); they open their own transactions (docs/layout.md).

Who asks is never an argument: the person is the access token in the RPC context, verified here
(``self.caller.person``), and a document's content goes only to the gateway (``require_service``), the one
process that serves it to people (docs/security.md)."""

from antre_common.auth import Caller
from antre_common.consumers import event_handler
from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import REFERENCE_SECONDS, ServiceRpc, rpc
from antre_common.storage import Storage
from antre_common.timer import every
from antre_common.web import http
from documents import review
from documents.bookings import Bookings
from documents.dependencies import DocumentsKeys, Sandboxes
from documents.models import OutboxEvent, ProcessedEvent
from documents.objects import ObjectStore
from documents.retention import Retention
from documents.schemas import ChecklistArgs, DocumentArgs, OfficeDocumentsArgs, OfficeVisitsArgs, ReviewArgs
from documents.settings import Settings
from documents.uploads import Uploads


class DocumentsService(ServiceBase):
    name = "documents"

    db = Database(OutboxEvent, ProcessedEvent)
    storage = Storage()
    keys = DocumentsKeys()
    sandbox = Sandboxes()
    caller = Caller()
    scheduling = ServiceRpc("scheduling", cached={"get_service": REFERENCE_SECONDS})

    @property
    def bookings(self):
        return Bookings(self.db, self.scheduling)

    @property
    def uploads(self):
        store = ObjectStore(self.storage)
        return Uploads(
            self.db, self.bookings, store, self.keys.keyring, settings=self.keys.settings, sandbox=self.sandbox
        )

    @property
    def retention(self):
        return Retention(self.db, self.bookings, ObjectStore(self.storage))

    # -- RPC and the internal upload endpoint (the gateway's documents routes) -------------------------------

    @rpc
    def checklist(self, reservation_code):
        args = load(ChecklistArgs(), {"reservation_code": reservation_code})
        return self.uploads.checklist(self.caller.person_as_dict(), args["reservation_code"])

    @rpc
    def upload_grant(self, reservation_code):
        """Step 1 of an upload: a short-lived, single-use grant to stream the file to ``receive_upload``."""
        args = load(ChecklistArgs(), {"reservation_code": reservation_code})
        return self.uploads.grant(self.caller.person_as_dict(), args["reservation_code"])

    @http("POST", "/internal/v1/bookings/<booking_id>/documents")
    def receive_upload(self, request, booking_id):
        """Step 2, from the gateway only (NetworkPolicy): the multipart body, streamed, with ``X-Upload-Grant``.
        Idempotent: the same file again for the same type returns the stored document."""
        return self.uploads.receive(request, booking_id)

    @rpc
    def office_documents(self, query):
        """Staff of the office: documents of coming visits waiting for review (``status``), oldest first."""
        args = load(OfficeDocumentsArgs(), query)
        return review.waiting(self.db.session, self.caller.person_as_dict(), args["office_code"], args["status"],
                              args["date_from"])  # fmt: skip

    @rpc
    def office_visits(self, query):
        """Staff of the office: coming visits with where each checklist stands."""
        args = load(OfficeVisitsArgs(), query)
        return review.visits(self.db.session, self.caller.person_as_dict(), args["office_code"], args["date_from"],
                             args["date_to"])  # fmt: skip

    @rpc
    def download_grant(self, document_id):
        """Step 1 of a download, for the gateway only: the read recorded, and a grant to fetch the file."""
        self.caller.require_service("gateway")
        args = load(DocumentArgs(), {"document_id": document_id})
        return self.uploads.download_grant(self.caller.person_as_dict(), args["document_id"])

    @http("GET", "/internal/v1/documents/<document_id>/content")
    def serve_content(self, request, document_id):
        """Step 2, from the gateway only (NetworkPolicy): the file, with ``X-Download-Grant``."""
        return self.uploads.serve(request, document_id)

    @rpc
    def review(self, document_id, decision, reason=None):
        """Idempotent: the same decision and reason again changes nothing and sends no second event."""
        args = load(ReviewArgs(), {"document_id": document_id, "decision": decision, "reason": reason})
        return self.uploads.review(self.caller.person_as_dict(), args["document_id"], args["decision"], args["reason"])

    # -- events from scheduling -------------------------------------------------------------------------------

    @event_handler("scheduling", "booking_created")
    def on_booking_created(self, envelope):
        self.bookings.on_booking_created(envelope)

    @event_handler("scheduling", "booking_cancelled")
    def on_booking_cancelled(self, envelope):
        self.bookings.on_booking_ended(envelope, "cancelled")

    @event_handler("scheduling", "booking_rescheduled")
    def on_booking_rescheduled(self, envelope):
        self.bookings.on_booking_rescheduled(envelope)

    @event_handler("scheduling", "booking_expired")
    def on_booking_expired(self, envelope):
        """Unpaid at the fee deadline: the booking ended like a cancelled one."""
        self.bookings.on_booking_ended(envelope, "expired")

    @event_handler("scheduling", "booking_transferred")
    def on_booking_transferred(self, envelope):
        self.bookings.on_booking_transferred(envelope)

    @event_handler("scheduling", "booking_no_show")
    def on_booking_no_show(self, envelope):
        self.bookings.on_booking_ended(envelope, "no_show")

    @event_handler("scheduling", "ticket_completed")
    def on_ticket_completed(self, envelope):
        """Only tickets of bookings carry a booking id or reservation code; walk-ins are ignored."""
        self.bookings.on_booking_ended(envelope, "completed")

    # -- retention ------------------------------------------------------------------------------------------

    @every(Settings, "retention_sweep_seconds")
    def purge_expired(self):
        self.uploads.purge(utcnow())
        return self.retention.sweep(utcnow(), self.keys.settings.retention_days)
