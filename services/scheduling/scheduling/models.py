"""Scheduling's database (antre_scheduling); no other service reads it."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()


class Office(Base):
    __tablename__ = "office"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    city: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64))
    counters: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    online_share: Mapped[float] = mapped_column(Float)
    # {"mon": [["08:00", "12:00"], ...], ...}; a missing weekday is closed.
    opening_hours: Mapped[dict] = mapped_column(JSONB)
    # Last local date whose slots exist (the rolling release window has reached it).
    released_until: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Service(Base):
    __tablename__ = "service"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    required_documents: Mapped[list] = mapped_column(JSONB)


class Closure(Base):
    """A day an office is closed besides national holidays (office closures, cuti bersama, …)."""

    __tablename__ = "closure"

    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(200))


class Slot(Base):
    """A start window at one office. Capacity is in counter-minutes, so services of different lengths share
    the counters fairly; a booking takes its service's duration."""

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("office_code", "start_at", name="uq_slot_office_start"),
        Index("ix_slot_office_date", "office_code", "date"),
        CheckConstraint("booked_minutes >= 0 AND booked_count >= 0", name="ck_slot_booked_nonnegative"),
        CheckConstraint("booked_minutes <= capacity_minutes OR closed", name="ck_slot_no_overbooking"),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    date: Mapped[date] = mapped_column(Date)  # office local date
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity_minutes: Mapped[int] = mapped_column(Integer)
    booked_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    booked_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Retired by a capacity change or closure while it still held bookings: kept, never offered again.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Booking(Base):
    __tablename__ = "booking"
    __table_args__ = (
        # One active booking per person and service, enforced by the database itself.
        Index(
            "uq_booking_active_person_service",
            "person_ref",
            "service_code",
            unique=True,
            postgresql_where=text("status IN ('confirmed', 'checked_in', 'called', 'serving')"),
        ),
        Index("ix_booking_user", "user_id"),
        Index("ix_booking_person", "person_id"),
        Index("ix_booking_slot", "slot_id"),
        Index("ix_booking_confirmed_start", "start_at", postgresql_where=text("status = 'confirmed'")),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    reservation_code: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False))
    person_ref: Mapped[str] = mapped_column(String(64))
    # Whom the booking is for (identity's person_id): the holder (user_id) or one of their dependents.
    # None on bookings made before dependents existed: the holder.
    person_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code"))
    slot_id: Mapped[str] = mapped_column(ForeignKey("slot.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # copied from the slot for the timers
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    minutes: Mapped[int] = mapped_column(Integer)  # counter-minutes taken from the slot, returned on cancel
    status: Mapped[str] = mapped_column(String(20))
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class IdempotencyRecord(Base):
    """``Idempotency-Key`` of a caller: the hash of the first request and the result it got."""

    __tablename__ = "idempotency_record"

    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    """A place in an office's queue today: a checked-in booking or a walk-in."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("office_code", "day", "ticket_number", name="uq_ticket_number"),
        UniqueConstraint("booking_id", name="uq_ticket_booking"),
        Index("ix_ticket_waiting", "office_code", "day", "issued_at", postgresql_where=text("status = 'waiting'")),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    day: Mapped[date] = mapped_column(Date)  # office local date
    ticket_number: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(10))  # booked | walk_in
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # waiting | called | serving | completed | no_show
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code"))
    booking_id: Mapped[str | None] = mapped_column(ForeignKey("booking.id"))
    counter: Mapped[str | None] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
