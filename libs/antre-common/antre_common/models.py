"""Tables every service database has: the outbox (events written with the change they report) and the
record of events already handled (delivery is at least once)."""

from sqlalchemy import DateTime, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from antre_common.envelope import utcnow


class OutboxMixin:
    """``exchange`` None means the service's own ``<service>.events`` exchange."""

    event_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    exchange: Mapped[str | None] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    published_at = mapped_column(DateTime(timezone=True))

    @declared_attr
    def __table_args__(cls):
        # The relay scans only what is still to publish.
        return (
            Index(
                f"ix_{cls.__tablename__}_pending",
                "created_at",
                postgresql_where=text("published_at IS NULL"),
            ),
        )


class ProcessedEventMixin:
    event_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    processed_at = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


def declarative_base():
    """``Base, OutboxEvent, ProcessedEvent = declarative_base()``: a service's own declarative base (its own
    metadata, so its migrations see only its tables) with the outbox and processed-event tables on it."""

    class Base(DeclarativeBase):
        pass

    outbox = type("OutboxEvent", (OutboxMixin, Base), {"__tablename__": "outbox"})
    processed = type("ProcessedEvent", (ProcessedEventMixin, Base), {"__tablename__": "processed_event"})
    return Base, outbox, processed
