"""Identity service entrypoints. Domain rules live beside this file, not here."""

from antre_common.db import Database
from antre_common.health import ServiceBase
from identity.models import OutboxEvent, ProcessedEvent


class IdentityService(ServiceBase):
    name = "identity"

    db = Database(OutboxEvent, ProcessedEvent)
