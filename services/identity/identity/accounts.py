"""Accounts: what registration, sessions and staff share (sealed fields, lookups, the audit trail,
idempotency records), and the reads other services and the gateway make.

``Accounts(db, keys)`` works on the worker's database handle and opens its own transactions (docs/layout.md).
Errors that must leave a trace (a failed login, a wrong code, a reused token) are *returned* from the
transaction block and raised after it committed: raising inside would roll the trace back with everything
else. Errors raised inside a block leave nothing behind.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from antre_common.context import current_request_id
from antre_common.envelope import utcnow
from antre_common.errors import ServiceError
from antre_common.idempotency import IdempotencyRecords, canonical
from identity import events, policy
from identity.exceptions import AlreadyRegistered, NotFound
from identity.models import AuditEntry, IdempotencyRecord, OneTimeCode, RefreshToken, User
from identity.secrets_box import field_aad
from identity.tokens import STAFF_ROLES


def raise_if_error(result):
    if isinstance(result, ServiceError):
        raise result
    return result


class Accounts:
    records = IdempotencyRecords(IdempotencyRecord, owner="scope")

    def __init__(self, db, keys, registry=None, now=utcnow):
        self.db = db
        self.registry = registry
        self.settings = keys.settings
        self.box = keys.box
        self.passwords = keys.passwords
        self.signer = keys.signer
        self.otp_box = keys.otp_box
        self.phone_countries = keys.settings.phone_country_codes
        self.now = now

    def _seal(self, user, field, value):
        setattr(user, f"{field}_enc", self.box.seal(value, field_aad(user.id, field)))

    def _open(self, user, field):
        return self.box.open(getattr(user, f"{field}_enc"), field_aad(user.id, field))

    def _email_hash(self, email):
        """Under the newest lookup key: what a new row stores (and what throttling counts on)."""
        return self.box.lookup("email", email)

    def _email_hashes(self, email):
        """Under every configured lookup key: what a lookup matches (docs/runbook.md, rotating LOOKUP_KEY)."""
        return self.box.lookups("email", email)

    def _audit(self, session, event, outcome, *, user_id=None, actor_id=None, client_ip=None, **detail):
        session.add(
            AuditEntry(
                event=event,
                outcome=outcome,
                user_id=user_id,
                actor_id=actor_id,
                client_ip=client_ip,
                request_id=current_request_id(),
                detail=detail,
                occurred_at=self.now(),
            )
        )

    def _end_sessions(self, session, user, now, family_id=None):
        """Revokes the refresh tokens of one session (``family_id``) or of every session of ``user``. For staff,
        the ended sessions are published (``sessions_revoked``) so every gateway replica refuses their access
        tokens at once; the answer ``{session_ids, expires_at}`` lets the replica that asked do so before the
        event arrives. None when nothing ended or the user is a citizen (their tokens simply run out)."""
        stmt = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
        stmt = stmt.where(RefreshToken.family_id == family_id if family_id else RefreshToken.user_id == user.id)
        returned = session.scalars(stmt.values(revoked_at=now).returning(RefreshToken.family_id))
        ended = sorted({str(family) for family in returned})
        if not ended or user.role not in STAFF_ROLES:
            return None
        revocation = events.sessions_revoked(user.id, ended, now + self.signer.staff_access_ttl)
        self.db.add_event("sessions_revoked", revocation)
        return revocation

    def record_document_view(self, envelope, data):
        """documents' ``document_viewed`` as an audit entry: who (user, role, office), what (document, booking,
        reservation code), when (the event's time). Once per event, however often it is delivered."""
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "identity.audit"):
                return
            session.add(
                AuditEntry(
                    event="document_viewed",
                    outcome="ok",
                    user_id=data["viewer_id"],
                    actor_id=data["viewer_id"],
                    request_id=envelope.get("request_id"),
                    detail={
                        "role": data["viewer_role"],
                        "office_code": data["viewer_office"],
                        "document_id": data["document_id"],
                        "doc_type": data["doc_type"],
                        "booking_id": data["booking_id"],
                        "reservation_code": data["reservation_code"],
                    },
                    occurred_at=datetime.fromisoformat(envelope["occurred_at"]),
                )
            )

    def revoked_sessions(self):
        """Staff sessions ended within an access token's life: what a gateway replica loads when it starts."""
        now = self.now()
        with self.db.transaction() as session:
            rows = session.execute(
                select(RefreshToken.family_id, func.max(RefreshToken.revoked_at))
                .join(User, User.id == RefreshToken.user_id)
                .where(User.role.in_(STAFF_ROLES), RefreshToken.revoked_at > now - self.signer.staff_access_ttl)
                .group_by(RefreshToken.family_id)
            ).all()
        return [
            {"session_id": str(family), "expires_at": (revoked + self.signer.staff_access_ttl).isoformat()}
            for family, revoked in rows
        ]

    def _request_hash(self, data):
        return self.box.lookup("request", canonical(data))  # keyed: the request holds a password

    def _user_by_email(self, session, email, lock=False):
        stmt = select(User).where(User.email_hash.in_(self._email_hashes(email)))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return session.scalars(stmt).first()

    def _too_soon_for_another_code(self, session, user, purpose, now):
        """A code of ``purpose`` went to ``user`` too recently (``policy.resend_wait`` over the last hour)."""
        sent = session.scalars(
            select(OneTimeCode.created_at).where(
                OneTimeCode.user_id == user.id,
                OneTimeCode.purpose == purpose,
                OneTimeCode.created_at > now - timedelta(hours=1),
            )
        ).all()
        return bool(policy.resend_wait(sent, now))

    def _replay_or_raise(self, scope, key, digest):
        """After a unique violation: a concurrent twin with the same key won, so answer as it did."""
        with self.db.transaction() as session:
            replay = self.records.replay(session, scope, key, digest)
        if replay is None:
            raise AlreadyRegistered("an account exists for this NIK or email")
        return replay

    # -- reads -----------------------------------------------------------------------------------------------

    def _get(self, session, user_id):
        user = session.get(User, uuid.UUID(str(user_id)))
        if user is None:
            raise NotFound("no such user")
        return user

    def get_user(self, user_id):
        with self.db.transaction() as session:
            user = self._get(session, user_id)
            return {
                "user_id": str(user.id),
                "role": user.role,
                "office_code": user.office_code,
                "status": user.status,
                "person_ref": user.person_ref,
            }

    def get_contact(self, user_id):
        with self.db.transaction() as session:
            user = self._get(session, user_id)
            return {
                "user_id": str(user.id),
                "full_name": self._open(user, "full_name"),
                "email": self._open(user, "email"),
                "phone": self._open(user, "phone"),
                "nik_masked": policy.mask_nik(self._open(user, "nik")),
                "language": user.language,
            }

    def get_profile(self, user_id):
        """What ``/me`` shows: contact data with the NIK masked, and the role."""
        contact = self.get_contact(user_id)
        user = self.get_user(user_id)
        contact.pop("language")
        return {**contact, "role": user["role"], "office_code": user["office_code"], "status": user["status"]}

    def audit_log(self, event=None, user_id=None, before=None, limit=50):
        with self.db.transaction() as session:
            stmt = select(AuditEntry).order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(limit)
            if event:
                stmt = stmt.where(AuditEntry.event == event)
            if user_id:
                stmt = stmt.where(AuditEntry.user_id == uuid.UUID(str(user_id)))
            if before:
                stmt = stmt.where(AuditEntry.occurred_at < before)
            return [
                {
                    "id": str(e.id),
                    "occurred_at": e.occurred_at.isoformat(),
                    "event": e.event,
                    "outcome": e.outcome,
                    "user_id": e.user_id and str(e.user_id),
                    "actor_id": e.actor_id and str(e.actor_id),
                    "client_ip": e.client_ip,
                    "request_id": e.request_id,
                    "detail": e.detail,
                }
                for e in session.scalars(stmt)
            ]
