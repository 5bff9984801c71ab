"""Payment's database (antre_payment); no other service reads it.

Money is in whole rupiah (BigInteger). A bill is one booking's fee; a payment is one transaction the channel
reported (its id is the primary key, so a notification is recorded once however often it arrives); a refund
is one payment given back (unique per payment, so nothing is refunded twice).
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()


class Bill(Base):
    __tablename__ = "bill"
    __table_args__ = (Index("ix_bill_pending_expires", "expires_at", postgresql_where=text("status = 'pending'")),)

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    billing_code: Mapped[str] = mapped_column(String(15), unique=True)
    booking_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), unique=True)
    reservation_code: Mapped[str | None] = mapped_column(String(12))
    user_id: Mapped[str] = mapped_column(Uuid(as_uuid=False))
    service_code: Mapped[str] = mapped_column(String(40))
    office_code: Mapped[str] = mapped_column(String(16))
    tariff: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))  # pending | paid | expired | refunded
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    extended: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # True once scheduling's booking_created arrived: a bill whose booking failed (slot full) tells nobody.
    booked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Payment(Base):
    """One transaction of the channel, as notified. ``outcome``: applied (paid the bill) or refunded."""

    __tablename__ = "payment"

    transaction_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bill.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the channel's time
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    outcome: Mapped[str] = mapped_column(String(12))


class Refund(Base):
    __tablename__ = "refund"

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("payment.transaction_id"), unique=True)
    bill_id: Mapped[str] = mapped_column(ForeignKey("bill.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelOutage(Base):
    """The payment channel reported down by an operator; ``ended_at`` None while it lasts."""

    __tablename__ = "channel_outage"

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(64))


class Reconciliation(Base):
    """One day's comparison of our payments with the channel's settlements (``reconcile.compare``)."""

    __tablename__ = "reconciliation"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    report: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
