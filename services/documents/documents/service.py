"""Documents service entrypoints. Domain rules live beside this file (workflow, access, files, checklist,
crypto), not here."""

import logging

from nameko.events import event_handler
from nameko.extensions import DependencyProvider
from nameko.timer import Timer

from antre_common.db import Database
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import REFERENCE_SECONDS, ServiceRpc, rpc
from antre_common.storage import Storage
from documents.crypto import Keyring
from documents.models import OutboxEvent, ProcessedEvent
from documents.objects import ObjectStore
from documents.schemas import ChecklistArgs, DocumentArgs, ReviewArgs, UploadArgs
from documents.workflow import Workflow, utcnow

log = logging.getLogger(__name__)
MB = 1024 * 1024


class Settings(DependencyProvider):
    """Tunables from config.yaml (``DOCUMENTS_*``) and the encryption keys, read once per process."""

    def setup(self):
        config = self.container.config
        self.max_bytes = int(config.get("DOCUMENTS_MAX_BYTES") or 5 * MB)
        self.retention_days = float(config.get("DOCUMENTS_RETENTION_DAYS") or 30)
        self.keyring = Keyring(config.get("DOCUMENTS_KEYS"))  # refuses to start without a key

    def get_dependency(self, worker_ctx):
        return self


class ConfiguredTimer(Timer):
    """nameko's timer with its interval from config, so tests and operators can change it."""

    def __init__(self, config_key, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.config_key = config_key

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key) or self.interval)
        super().setup()


retention_timer = ConfiguredTimer.decorator


class DocumentsService(ServiceBase):
    name = "documents"

    db = Database(OutboxEvent, ProcessedEvent)
    storage = Storage()
    settings = Settings()
    scheduling = ServiceRpc("scheduling", cached={"get_service": REFERENCE_SECONDS})

    @property
    def workflow(self):
        return Workflow(
            self.db,
            ObjectStore(self.storage),
            self.settings.keyring,
            self.scheduling,
            max_bytes=self.settings.max_bytes,
        )

    # -- RPC (the gateway's documents routes) -----------------------------------------------------------------

    @rpc
    def checklist(self, reservation_code, principal):
        args = load(ChecklistArgs(), {"reservation_code": reservation_code, "principal": principal})
        return self.workflow.checklist(args["principal"], args["reservation_code"])

    @rpc
    def upload(self, reservation_code, doc_type, content_b64, principal):
        """Idempotent: the same file again for the same type returns the stored document."""
        args = load(
            UploadArgs(),
            {
                "reservation_code": reservation_code,
                "doc_type": doc_type,
                "content_b64": content_b64,
                "principal": principal,
            },
        )
        return self.workflow.upload(args["principal"], args["reservation_code"], args["doc_type"], args["content_b64"])

    @rpc
    def get_content(self, document_id, principal):
        args = load(DocumentArgs(), {"document_id": document_id, "principal": principal})
        return self.workflow.content(args["principal"], args["document_id"])

    @rpc
    def review(self, document_id, decision, principal, reason=None):
        """Idempotent: the same decision and reason again changes nothing and sends no second event."""
        args = load(
            ReviewArgs(),
            {"document_id": document_id, "decision": decision, "reason": reason, "principal": principal},
        )
        return self.workflow.review(args["principal"], args["document_id"], args["decision"], args["reason"])

    # -- events from scheduling -------------------------------------------------------------------------------

    @event_handler("scheduling", "booking_created")
    def on_booking_created(self, envelope):
        self.workflow.on_booking_created(envelope)

    @event_handler("scheduling", "booking_cancelled")
    def on_booking_cancelled(self, envelope):
        self.workflow.on_booking_ended(envelope, "cancelled")

    @event_handler("scheduling", "booking_rescheduled")
    def on_booking_rescheduled(self, envelope):
        self.workflow.on_booking_rescheduled(envelope)

    @event_handler("scheduling", "booking_no_show")
    def on_booking_no_show(self, envelope):
        self.workflow.on_booking_ended(envelope, "no_show")

    @event_handler("scheduling", "ticket_completed")
    def on_ticket_completed(self, envelope):
        """Only tickets of bookings carry a booking id or reservation code; walk-ins are ignored."""
        self.workflow.on_booking_ended(envelope, "completed")

    # -- retention ------------------------------------------------------------------------------------------

    @retention_timer("DOCUMENTS_RETENTION_SWEEP_SECONDS", 3600)
    def purge_expired(self):
        now = utcnow()
        closed = self.workflow.close_stale(now)
        purged = self.workflow.purge_expired(now, self.settings.retention_days)
        if purged or closed:
            log.info("retention sweep", extra={"bookings_closed": closed, "bookings_purged": purged})
        return purged
