"""Integration's database (antre_integration); no other service reads it."""

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Identity, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()

# The id of the writing transaction (xid8 as a bigint): the replay's order, see replay.py.
CURRENT_TX = text("(pg_current_xact_id()::text)::bigint")


class StoredEvent(Base):
    """One CloudEvent published on antre.integration, once (its id is unique), in the order it was stored."""

    __tablename__ = "stored_event"
    __table_args__ = (
        Index("ix_stored_event_position", "tx", "seq", unique=True),
        Index("ix_stored_event_received", "received_at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tx: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=CURRENT_TX)
    event_id: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(200), nullable=False)
    event: Mapped[dict] = mapped_column(JSONB, nullable=False)
    received_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class RetentionMark(Base):
    """The position of the newest event the purge removed: a cursor at or before it is expired (410), a
    cursor after it that names no stored event was never handed out (404)."""

    __tablename__ = "retention_mark"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Client(Base):
    """A ministry's integration client. Only the secret's SHA-256 is kept (it is 256 random bits, so a fast
    hash is enough; a slow one would turn the token endpoint into a CPU lever)."""

    __tablename__ = "client"

    client_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    rotated_at = mapped_column(DateTime(timezone=True))
    revoked_at = mapped_column(DateTime(timezone=True))


class AccessToken(Base):
    """An issued integration token (hashed): a rotation or a revocation deletes the client's tokens, so
    they stop at once instead of at their expiry."""

    __tablename__ = "access_token"
    __table_args__ = (Index("ix_access_token_client", "client_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), nullable=False)
    expires_at = mapped_column(DateTime(timezone=True), nullable=False)


class NoShow(Base):
    """A booking scheduling marked as a no-show (its id only): counted in the daily aggregates."""

    __tablename__ = "no_show"

    booking_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    recorded_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class StatsDay(Base):
    """A day whose aggregates were published (once)."""

    __tablename__ = "stats_day"

    day = mapped_column(Date, primary_key=True)
    published_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
