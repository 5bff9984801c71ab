"""Notification's database (antre_notification); no other service reads it."""

from sqlalchemy import Date, DateTime, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()


class Delivery(Base):
    """One message to one person on one channel: the delivery log and the retry queue in one row.

    No address and no rendered body are stored: contact data is fetched from identity at send time. ``data``
    holds what the templates need (the event's data, e.g. an OTP) only while the message is pending; it is
    cleared when the delivery reaches a final state."""

    __tablename__ = "delivery"
    __table_args__ = (
        # A redelivered event that slipped past processed_event still cannot queue a second message.
        UniqueConstraint("event_id", "message_type", "channel", name="uq_delivery_event_message_channel"),
        Index("ix_delivery_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_delivery_user", "user_id", "created_at"),
        Index("ix_delivery_check_hash", "check_hash", unique=True),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    event_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), nullable=False)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    message_type: Mapped[str] = mapped_column(String(50), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    user_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    booking_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    # pending → sending → sent | failed | skipped (no address, or the person opted out of the channel)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at = mapped_column(DateTime(timezone=True), nullable=False)
    claimed_until = mapped_column(DateTime(timezone=True))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = mapped_column(DateTime(timezone=True))
    # The check code (checkcodes.py): its keyed hash for verification, the code sealed for the message and
    # the owner's inbox; and, once sent, the inbox's subject and summary, sealed (never an OTP, never a body).
    check_hash: Mapped[str | None] = mapped_column(String(64))
    check_sealed: Mapped[str | None] = mapped_column(Text)
    inbox_sealed: Mapped[str | None] = mapped_column(Text)


class BookingRef(Base):
    """What notification learned about a booking from scheduling's events (no personal data): later events
    (reminder, no-show, document review) name only the booking, and the message needs its code and slot."""

    __tablename__ = "booking_ref"

    booking_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    reservation_code: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), nullable=False)
    office_code: Mapped[str | None] = mapped_column(String(32))
    service_code: Mapped[str | None] = mapped_column(String(64))
    date = mapped_column(Date)
    start: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    updated_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class VerifyThrottle(Base):
    """Verification attempts per address (its keyed hash) in the current window: one atomic upsert each."""

    __tablename__ = "verify_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at = mapped_column(DateTime(timezone=True), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
