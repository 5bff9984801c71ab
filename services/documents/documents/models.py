"""Documents's database (antre_documents); no other service reads it.

Only metadata lives here; the files are objects in the store, encrypted by the service (see crypto.py).
"""

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()


class Booking(Base):
    """What documents knows of a scheduling booking: enough to check access, the checklist and retention."""

    __tablename__ = "booking"

    booking_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reservation_code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    office_code: Mapped[str] = mapped_column(String(32), nullable=False)
    service_code: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    visit_date: Mapped[str | None] = mapped_column(String(10))
    # False until scheduling told us the service's required documents (it may be down when the event arrives).
    checklist_loaded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The retention clock: set when the booking is cancelled, completed or a no-show.
    ended_at = mapped_column(DateTime(timezone=True), index=True)
    purged_at = mapped_column(DateTime(timezone=True))
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ChecklistItem(Base):
    __tablename__ = "checklist_item"

    booking_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("booking.booking_id", ondelete="CASCADE"), primary_key=True
    )
    doc_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)


class Document(Base):
    """The current file of one type for one booking; a new upload of the same type replaces the row."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("booking_id", "doc_type", name="uq_document_booking_type"),)

    document_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    booking_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("booking.booking_id", ondelete="CASCADE"), nullable=False, index=True
    )
    doc_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    key_id: Mapped[str] = mapped_column(String(32), nullable=False)
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the stored (sanitised) file
    received_sha256: Mapped[str | None] = mapped_column(String(64))  # of the file as uploaded (retries)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at = mapped_column(DateTime(timezone=True))


class UploadGrant(Base):
    """A redeemed upload grant (grants.py): its id is written when the internal upload endpoint takes it, so
    a second use fails on the key; rows go once they have expired (the retention timer)."""

    __tablename__ = "upload_grant"

    grant_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    expires_at = mapped_column(DateTime(timezone=True), nullable=False, index=True)


class IdempotencyRecord(Base):
    """``Idempotency-Key`` of an upload: the hash of the first request (booking, type, file) and its answer."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
