"""Documents's database (antre_documents); no other service reads it."""

from sqlalchemy.orm import DeclarativeBase

from antre_common.models import OutboxMixin, ProcessedEventMixin


class Base(DeclarativeBase):
    pass


class OutboxEvent(OutboxMixin, Base):
    __tablename__ = "outbox"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_event"
