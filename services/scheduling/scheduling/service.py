"""Scheduling service entrypoints. Domain rules live beside this file, not here."""

from antre_common.db import Database
from antre_common.health import ServiceBase
from scheduling.models import OutboxEvent, ProcessedEvent


class SchedulingService(ServiceBase):
    name = "scheduling"

    db = Database(OutboxEvent, ProcessedEvent)
