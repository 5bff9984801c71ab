"""Scheduling's database (antre_scheduling); no other service reads it."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
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
    # Billed before the visit (PNBP): booked as awaiting_payment until paid (payment's fee table says how much).
    prepaid: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


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
        # One active booking per person (whatever the service, whoever booked it), enforced by the database
        # itself: a broker holding one seat per service at four offices was the issue.
        Index(
            "uq_booking_active_person",
            "person_ref",
            unique=True,
            postgresql_where=text("status IN ('awaiting_payment', 'confirmed', 'checked_in', 'called', 'serving')"),
        ),
        Index("ix_booking_user", "user_id"),
        Index("ix_booking_person", "person_id"),
        Index("ix_booking_slot", "slot_id"),
        Index("ix_booking_confirmed_start", "start_at", postgresql_where=text("status = 'confirmed'")),
        # The cooldown counts a person's recent cancellations (cooldown.py).
        Index("ix_booking_person_cancelled", "person_ref", "updated_at", postgresql_where=text("status = 'cancelled'")),
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
    # A service with a fee: its bill as payment made it (scheduling/payments.py); None for free services.
    billing_code: Mapped[str | None] = mapped_column(String(15))
    fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    payment_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    receipt_number: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str | None] = mapped_column(String(20))  # declared at booking (lansia, disabilitas, …)
    disruption_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))  # its slot fell in an outage
    free_reschedules: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # not counted
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
    recalls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requeued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # back after a no-show


class FloorAudit(Base):
    """Who did what on the office floor (check-in, recall, transfer, requeue): the officer, the ticket and
    the person's pseudonymous id; never a name, NIK or birth date."""

    __tablename__ = "floor_audit"
    __table_args__ = (Index("ix_floor_audit_office_time", "office_code", "occurred_at"),)

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    office_code: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    action: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[str] = mapped_column(Uuid(as_uuid=False))
    subject_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))  # the booking's person (user id)
    detail: Mapped[dict] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))


class Disruption(Base):
    """An outage or closure a supervisor declared for a period: bookings in it are told and may move free."""

    __tablename__ = "disruption"
    __table_args__ = (Index("ix_disruption_office_end", "office_code", "ends_at"),)

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(300))
    declared_by: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Release(Base):
    """One day of quota and when it opens: the rolling daily release, or an extra day a supervisor adds."""

    __tablename__ = "release"
    __table_args__ = (UniqueConstraint("office_code", "date", name="uq_release_office_date"),)

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    date: Mapped[date] = mapped_column(Date)  # the office-local day whose seats it releases
    kind: Mapped[str] = mapped_column(String(10))  # daily | extra
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    waiting_room_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # release_opened was sent
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QueuePlace(Base):
    """A citizen's place in a release's waiting room. Those who joined before the opening are ordered by a
    random ``ballot``; later arrivals (``late``) by ``joined_at``. ``admission`` is shown once admitted."""

    __tablename__ = "queue_place"
    __table_args__ = (
        Index("ix_queue_place_order", "release_id", "late", "ballot", "joined_at", "user_id"),
        UniqueConstraint("admission", name="uq_queue_place_admission"),
    )

    release_id: Mapped[str] = mapped_column(ForeignKey("release.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    late: Mapped[bool] = mapped_column(Boolean)
    ballot: Mapped[int] = mapped_column(BigInteger)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    admission: Mapped[str] = mapped_column(Uuid(as_uuid=False))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))


class WaitlistEntry(Base):
    """Waiting for a seat of one office, service and day; a freed seat is held for the first (``offered``)."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        Index("ix_waitlist_next", "office_code", "date", "created_at", postgresql_where=text("status = 'waiting'")),
        Index("ix_waitlist_offer_expiry", "offer_expires_at", postgresql_where=text("status = 'offered'")),
        Index("ix_waitlist_user", "user_id"),
        # One live entry per person, office, service and day.
        Index(
            "uq_waitlist_live",
            "person_ref",
            "office_code",
            "service_code",
            "date",
            unique=True,
            postgresql_where=text("status IN ('waiting', 'offered')"),
        ),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False))
    person_ref: Mapped[str] = mapped_column(String(64))
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    service_code: Mapped[str] = mapped_column(ForeignKey("service.code"))
    date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)  # the service's duration: what a held seat takes
    status: Mapped[str] = mapped_column(String(12))  # waiting | offered | booked | expired | cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    offer_slot_id: Mapped[str | None] = mapped_column(ForeignKey("slot.id"))
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_id: Mapped[str | None] = mapped_column(Uuid(as_uuid=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
