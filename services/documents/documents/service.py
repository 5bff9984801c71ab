"""Documents service entrypoints. Domain rules live beside this file, not here."""

from antre_common.db import Database
from antre_common.health import ServiceBase
from antre_common.storage import Storage
from documents.models import OutboxEvent, ProcessedEvent


class DocumentsService(ServiceBase):
    name = "documents"

    db = Database(OutboxEvent, ProcessedEvent)
    storage = Storage()
