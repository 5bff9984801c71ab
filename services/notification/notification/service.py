"""Notification service entrypoints. Domain rules live beside this file, not here."""

from antre_common.db import Database
from antre_common.health import ServiceBase
from notification.models import OutboxEvent, ProcessedEvent


class NotificationService(ServiceBase):
    name = "notification"

    db = Database(OutboxEvent, ProcessedEvent)
