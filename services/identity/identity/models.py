"""Identity's database (antre_identity); no other service reads it.

Personal data is stored only sealed (``*_enc``: AES-GCM with a key id, see ``secrets_box``); equality
lookups go through keyed hashes (``*_hash``). Passwords are argon2id hashes, one-time codes and refresh
tokens are stored only hashed.
"""

import uuid

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from antre_common.envelope import utcnow
from antre_common.models import declarative_base

Base, OutboxEvent, ProcessedEvent = declarative_base()


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    role: Mapped[str] = mapped_column(String(20), nullable=False)  # citizen | officer | supervisor | admin
    status: Mapped[str] = mapped_column(String(30), nullable=False)  # pending_verification | active | disabled
    office_code: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="id")
    email_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    email_enc: Mapped[str] = mapped_column(Text, nullable=False)
    nik_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # staff have none
    nik_enc: Mapped[str | None] = mapped_column(Text)
    person_ref: Mapped[str | None] = mapped_column(String(32))
    full_name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    birth_date_enc: Mapped[str | None] = mapped_column(Text)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # accounts per phone (registration)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    verified_at = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the admin who made a staff account
    lookup_kid: Mapped[str | None] = mapped_column(String(32))  # the LOOKUP_KEY that made the *_hash columns
    # Staff's second factor (second_factor.py): the TOTP secret sealed like personal data; a pending one waits
    # for its first code; the last time step used, so a code is never accepted twice.
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    totp_pending_enc: Mapped[str | None] = mapped_column(Text)
    totp_enrolled_at = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class OneTimeCode(Base):
    __tablename__ = "one_time_code"
    __table_args__ = (Index("ix_one_time_code_user_purpose", "user_id", "purpose", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = mapped_column(DateTime(timezone=True), nullable=False)
    consumed_at = mapped_column(DateTime(timezone=True))  # used, or replaced by a newer code


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = mapped_column(DateTime(timezone=True), nullable=False)
    used_at = mapped_column(DateTime(timezone=True))  # rotated: presenting it again is reuse
    revoked_at = mapped_column(DateTime(timezone=True))


class LoginChallenge(Base):
    """Between a staff member's right password and their code: an opaque token (stored hashed), short-lived and
    single use. It is not an access token and opens nothing but the code step (and enrolment)."""

    __tablename__ = "login_challenge"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    used_at = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Failed logins per key (``account:<email hash>`` or ``address:<ip>``) in a sliding window."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    window_started_at = mapped_column(DateTime(timezone=True), nullable=False)
    locked_until = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Security events: who, what, from where, with what outcome. Never a secret or personal data."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    occurred_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)


class IdempotencyRecord(Base):
    """``Idempotency-Key`` of a create request: a keyed hash of the first request and the answer it got."""

    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)  # "register" or "staff:<admin id>"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    response: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Dependent(Base):
    """A member of a holder's family card (KK) without an account, whom the holder books for. Their personal
    data is kept exactly as an account's: sealed (associated data ``dependent:<id>:<field>``), found by keyed
    hash, and deleted with the holder's account. ``id`` is their ``person_id``; if they register later, their
    account takes this id, so bookings made for them need no rewriting."""

    __tablename__ = "dependent"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    holder_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    nik_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # one holder per person
    nik_enc: Mapped[str] = mapped_column(Text, nullable=False)
    full_name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    birth_date_enc: Mapped[str] = mapped_column(Text, nullable=False)
    relationship: Mapped[str] = mapped_column(String(20), nullable=False)
    person_ref: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    lookup_kid: Mapped[str | None] = mapped_column(String(32))  # the LOOKUP_KEY that made nik_hash
