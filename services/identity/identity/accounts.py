"""Accounts: registration, one-time codes, login, token rotation, staff, and the audit trail.

``Accounts(db, keys)`` works on the worker's database handle (``transaction()``, ``add_event``). Errors
that must leave a trace (a failed login, a wrong code, a reused token) are *returned* from the transaction
block and raised after it committed: raising inside would roll the trace back with everything else.
Errors raised inside a block leave nothing behind.
"""

import json
import logging
import uuid
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from antre_common.context import current_request_id
from antre_common.envelope import utcnow
from antre_common.errors import ServiceError
from antre_common.metrics import metric
from identity import person, policy, throttle
from identity.exceptions import (
    AccountDisabled,
    AccountNotVerified,
    AlreadyRegistered,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCredentials,
    LoginLocked,
    NotFound,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    RateLimited,
    RefreshTokenInvalid,
    RefreshTokenReused,
    ValidationError,
)
from identity.models import AuditEntry, IdempotencyRecord, OneTimeCode, RefreshToken, User
from identity.secrets_box import field_aad, token_hash
from identity.tokens import REFRESH_TTL, new_refresh_token

log = logging.getLogger(__name__)

# For dashboards and alerts: a rise of "failed" or "locked" is credential stuffing, of "reused" token theft.
LOGINS = metric(Counter, "antre_identity_logins_total", "Login attempts by outcome", ["outcome"])
TOKEN_REUSE = metric(Counter, "antre_identity_refresh_token_reuse_total", "Rotated refresh tokens presented again")

VERIFY = "verify"
STAFF_ROLES = ("officer", "supervisor", "admin")
OFFICE_ROLES = ("officer", "supervisor")


def _raise_if_error(result):
    if isinstance(result, ServiceError):
        raise result
    return result


class Accounts:
    def __init__(self, db, keys, now=utcnow):
        self.db = db
        self.box = keys.box
        self.passwords = keys.passwords
        self.signer = keys.signer
        self.now = now

    # -- sealing -------------------------------------------------------------------------------------------

    def _seal(self, user, field, value):
        setattr(user, f"{field}_enc", self.box.seal(value, field_aad(user.id, field)))

    def _open(self, user, field):
        return self.box.open(getattr(user, f"{field}_enc"), field_aad(user.id, field))

    def _email_hash(self, email):
        return self.box.lookup("email", email)

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

    def _request_hash(self, data):
        return self.box.lookup("request", json.dumps(data, sort_keys=True, default=str))

    @staticmethod
    def _replay(session, scope, key, digest):
        """The first answer to this ``Idempotency-Key`` (same request), or None; another request: refused."""
        if not key:
            return None
        record = session.get(IdempotencyRecord, (scope, key))
        if record is None:
            return None
        if record.request_hash != digest:
            raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
        return record.response

    def _user_by_email(self, session, email, lock=False):
        stmt = select(User).where(User.email_hash == self._email_hash(email))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return session.scalars(stmt).first()

    # -- registration and one-time codes -------------------------------------------------------------------

    def register(self, data, client_ip=None, idempotency_key=None):
        """A citizen account, pending until the code sent to its email is entered. A retry with the same
        ``Idempotency-Key`` and body gets the first answer."""
        now = self.now()
        digest = self._request_hash(data)
        birth_date = person.check_birth_date(data["birth_date"], now.date())
        nik, _sex = person.check_nik(data["nik"], birth_date)
        email = person.normalize_email(data["email"])
        phone = person.normalize_phone(data["phone"])
        full_name = " ".join(data["full_name"].split())
        person.check_password(data["password"], [email.partition("@")[0], full_name, nik])
        email_hash, nik_hash = self._email_hash(email), self.box.lookup("nik", nik)

        with self.db.transaction() as session:  # cheap checks first: no hashing work for a retry or duplicate
            replay = self._replay(session, "register", idempotency_key, digest)
            if replay is None and session.scalar(
                select(User.id).where((User.email_hash == email_hash) | (User.nik_hash == nik_hash))
            ):
                raise AlreadyRegistered("an account exists for this NIK or email")
        if replay is not None:
            return replay
        password_hash = self.passwords.hash(data["password"])
        try:
            with self.db.transaction() as session:
                user = User(
                    id=uuid.uuid4(),
                    role="citizen",
                    status="pending_verification",
                    language=data.get("language") or "id",
                    email_hash=email_hash,
                    nik_hash=nik_hash,
                    person_ref=self.box.person_ref(nik),
                    password_hash=password_hash,
                    created_at=now,
                )
                for field, value in (
                    ("email", email),
                    ("nik", nik),
                    ("full_name", full_name),
                    ("birth_date", birth_date.isoformat()),
                    ("phone", phone),
                ):
                    self._seal(user, field, value)
                session.add(user)
                session.flush()  # a concurrent twin fails here on the unique hashes
                self.db.add_event("user_registered", {"user_id": str(user.id)})
                self._send_code(session, user, now, phone=True)
                self._audit(session, "registered", "ok", user_id=user.id, client_ip=client_ip)
                result = {"user_id": str(user.id), "status": user.status}
                self._remember(session, "register", idempotency_key, digest, result)
        except IntegrityError:
            return self._replay_or_raise("register", idempotency_key, digest)
        log.info("citizen registered", extra={"user_id": str(user.id)})
        return result

    @staticmethod
    def _remember(session, scope, key, digest, result):
        if key:
            session.add(IdempotencyRecord(scope=scope, key=key, request_hash=digest, response=result))

    def _replay_or_raise(self, scope, key, digest):
        """After a unique violation: a concurrent twin with the same key won, so answer as it did."""
        with self.db.transaction() as session:
            replay = self._replay(session, scope, key, digest)
        if replay is None:
            raise AlreadyRegistered("an account exists for this NIK or email")
        return replay

    def _send_code(self, session, user, now, phone=False):
        """A fresh code replaces any pending one; it leaves identity only inside ``otp_requested``."""
        session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == VERIFY, OneTimeCode.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        code = policy.new_otp_code()
        row = OneTimeCode(id=uuid.uuid4(), user_id=user.id, purpose=VERIFY, created_at=now)
        row.code_hash = self.box.otp_hash(row.id, code)
        row.expires_at = now + policy.OTP_TTL
        session.add(row)
        channels = ("email", "sms") if phone and user.phone_enc else ("email",)
        for channel in channels:
            self.db.add_event(
                "otp_requested",
                {
                    "user_id": str(user.id),
                    "channel": channel,
                    "purpose": VERIFY,
                    "otp": code,
                    "expires_at": row.expires_at.isoformat(),
                },
            )

    def resend_code(self, email, client_ip=None):
        """Another code for a pending account. Unknown or already active emails get the same quiet answer."""
        now = self.now()
        try:
            email = person.normalize_email(email)
        except ValidationError:
            return None
        with self.db.transaction() as session:
            user = self._user_by_email(session, email, lock=True)  # serialises concurrent resends
            if user is None or user.status != "pending_verification":
                return None
            sent = session.scalars(
                select(OneTimeCode.created_at).where(
                    OneTimeCode.user_id == user.id,
                    OneTimeCode.purpose == VERIFY,
                    OneTimeCode.created_at > now - timedelta(hours=1),
                )
            ).all()
            wait = policy.resend_wait(sent, now)
            if wait:
                self._audit(session, "otp_resend", "rate_limited", user_id=user.id, client_ip=client_ip)
                result = RateLimited("wait before asking for another code", retry_after=wait)
            else:
                self._send_code(session, user, now, phone=True)
                self._audit(session, "otp_resend", "ok", user_id=user.id, client_ip=client_ip)
                result = None
        return _raise_if_error(result)

    def verify(self, email, otp, client_ip=None):
        now = self.now()
        try:
            email = person.normalize_email(email)
        except ValidationError:
            raise OtpInvalid("wrong code") from None
        with self.db.transaction() as session:
            user = self._user_by_email(session, email, lock=True)
            if user is None:
                raise OtpInvalid("wrong code")
            code = session.scalars(
                select(OneTimeCode)
                .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == VERIFY)
                .order_by(OneTimeCode.created_at.desc())
                .limit(1)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            matches = code is not None and policy.same_hash(code.code_hash, self.box.otp_hash(code.id, otp))
            if user.status == "active":
                if matches:  # the same code again (a retried request): the same answer
                    return {"user_id": str(user.id), "status": user.status}
                raise OtpInvalid("wrong code")
            state = policy.otp_state(code, now)
            if state == "used":
                raise OtpInvalid("no code pending")
            if state == "expired":
                raise OtpExpired("the code has expired")
            if state == "exhausted":
                raise OtpAttemptsExceeded("too many wrong codes")
            if not matches:
                code.attempts += 1
                left = policy.OTP_MAX_ATTEMPTS - code.attempts
                self._audit(session, "verify", "failed", user_id=user.id, client_ip=client_ip, attempts_left=left)
                result = OtpAttemptsExceeded("too many wrong codes") if left <= 0 else OtpInvalid("wrong code")
            else:
                code.consumed_at = now
                user.status, user.verified_at = "active", now
                self._audit(session, "verified", "ok", user_id=user.id, client_ip=client_ip)
                result = {"user_id": str(user.id), "status": user.status}
        return _raise_if_error(result)

    # -- login and tokens ------------------------------------------------------------------------------------

    def login(self, email, password, client_ip=None):
        """Tokens for the right email and password; one answer for a wrong email or password."""
        now = self.now()
        email = (email or "").strip().lower()
        email_hash = self._email_hash(email)
        keys = throttle.keys_for(email_hash, client_ip)
        with self.db.transaction() as session:
            locked = throttle.begin(session, keys, now)
            user = None if locked else session.scalars(select(User).where(User.email_hash == email_hash)).first()
            if locked:
                self._audit(session, "login", "locked", client_ip=client_ip, scope=locked[0].partition(":")[0])
        if locked:
            LOGINS.labels("locked").inc()
            raise LoginLocked("too many failed logins", retry_after=locked[1])

        ok = self.passwords.verify(user.password_hash if user else None, password)
        new_hash = self.passwords.hash(password) if ok and self.passwords.needs_rehash(user.password_hash) else None

        with self.db.transaction() as session:
            if not ok:
                locked = throttle.fail(session, keys, now)
                reason = "wrong_password" if user else "unknown_account"
                self._audit(session, "login", "failed", user_id=user and user.id, client_ip=client_ip, reason=reason)
                if locked:
                    scope = locked[0].partition(":")[0]
                    self._audit(session, "locked", "ok", user_id=user and user.id, client_ip=client_ip, scope=scope)
                    result = LoginLocked("too many failed logins", retry_after=locked[1])
                else:
                    result = InvalidCredentials("wrong email or password")
            else:
                throttle.succeed(session, keys)
                user = session.get(User, user.id, populate_existing=True)
                if user.status == "pending_verification":
                    result = AccountNotVerified("enter the code we sent first")
                elif user.status != "active":
                    result = AccountDisabled("account disabled")
                else:
                    if new_hash:
                        user.password_hash = new_hash
                    result = self._issue(session, user, uuid.uuid4(), now)
                self._audit(
                    session, "login", "ok" if isinstance(result, dict) else user.status, user_id=user.id,
                    client_ip=client_ip,
                )  # fmt: skip
        self._count_login(result)
        return _raise_if_error(result)

    @staticmethod
    def _count_login(result):
        if isinstance(result, dict):
            LOGINS.labels("ok").inc()
        else:
            LOGINS.labels({"LOGIN_LOCKED": "locked", "INVALID_CREDENTIALS": "failed"}.get(result.code, "refused")).inc()

    def _issue(self, session, user, family_id, now):
        refresh = new_refresh_token()
        session.add(
            RefreshToken(
                token_hash=token_hash(refresh),
                family_id=family_id,
                user_id=user.id,
                created_at=now,
                expires_at=now + REFRESH_TTL,
            )
        )
        return {
            "access_token": self.signer.access_token(user, now),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.signer.expires_in,
        }

    def _revoke_family(self, session, family_id, now):
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def refresh(self, refresh_token, client_ip=None):
        """A new pair for a current refresh token. A rotated one presented again revokes its family."""
        now = self.now()
        with self.db.transaction() as session:
            row = session.scalars(
                select(RefreshToken)
                .where(RefreshToken.token_hash == token_hash(refresh_token))
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                raise RefreshTokenInvalid("refresh token not valid")
            if row.used_at is not None:
                self._revoke_family(session, row.family_id, now)
                self._audit(session, "token_reuse", "revoked", user_id=row.user_id, client_ip=client_ip)
                log.warning("refresh token reused; family revoked", extra={"user_id": str(row.user_id)})
                result = RefreshTokenReused("refresh token already used")
                TOKEN_REUSE.inc()
            else:
                user = session.get(User, row.user_id, populate_existing=True)
                row.used_at = now
                if user.status != "active":
                    self._revoke_family(session, row.family_id, now)
                    result = RefreshTokenInvalid("refresh token not valid")
                else:
                    result = self._issue(session, user, row.family_id, now)
        return _raise_if_error(result)

    def logout(self, refresh_token, client_ip=None):
        """Revokes the session the refresh token belongs to; unknown tokens are quietly accepted."""
        now = self.now()
        with self.db.transaction() as session:
            row = session.scalars(
                select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
            ).first()
            if row is not None and row.revoked_at is None:
                self._revoke_family(session, row.family_id, now)
                self._audit(session, "logout", "ok", user_id=row.user_id, client_ip=client_ip)

    # -- staff -----------------------------------------------------------------------------------------------

    def create_staff(self, data, actor_id=None, client_ip=None, idempotency_key=None, *, bootstrap=False):
        """An officer or supervisor bound to one office, or a national admin; made by an admin only."""
        now = self.now()
        scope, digest = f"staff:{actor_id}", self._request_hash(data)
        role, office_code = data["role"], data.get("office_code")
        if role not in STAFF_ROLES:
            raise ValidationError("invalid input", errors={"role": ["must be officer, supervisor or admin"]})
        if role in OFFICE_ROLES and not office_code:
            raise ValidationError("invalid input", errors={"office_code": ["required for officers and supervisors"]})
        if role == "admin":
            office_code = None  # national
        email = person.normalize_email(data["email"])
        full_name = " ".join(data["full_name"].split())
        person.check_password(data["password"], [email.partition("@")[0], full_name])
        email_hash = self._email_hash(email)
        with self.db.transaction() as session:
            if not bootstrap:
                actor = session.get(User, actor_id) if actor_id else None
                if actor is None or actor.role != "admin" or actor.status != "active":
                    raise Forbidden("only an admin makes staff accounts")
            replay = self._replay(session, scope, idempotency_key, digest)
            if replay is None and session.scalar(select(User.id).where(User.email_hash == email_hash)):
                raise AlreadyRegistered("an account exists for this email")
        if replay is not None:
            return self._staff_view(replay["user_id"])
        password_hash = self.passwords.hash(data["password"])
        try:
            with self.db.transaction() as session:
                user = User(
                    id=uuid.uuid4(),
                    role=role,
                    status="active",
                    office_code=office_code,
                    language=data.get("language") or "id",
                    email_hash=email_hash,
                    password_hash=password_hash,
                    created_at=now,
                    verified_at=now,
                    created_by=actor_id,
                )
                self._seal(user, "email", email)
                self._seal(user, "full_name", full_name)
                session.add(user)
                session.flush()
                self._audit(
                    session, "staff_created", "ok", user_id=user.id, actor_id=actor_id, client_ip=client_ip,
                    role=role, office_code=office_code, bootstrap=bootstrap,
                )  # fmt: skip
                result = {
                    "user_id": str(user.id),
                    "email": email,
                    "full_name": full_name,
                    "role": role,
                    "office_code": office_code,
                    "status": user.status,
                }
                # Only the id is kept: the answer holds personal data, rebuilt from the sealed row on replay.
                self._remember(session, scope, idempotency_key, digest, {"user_id": result["user_id"]})
        except IntegrityError:
            return self._staff_view(self._replay_or_raise(scope, idempotency_key, digest)["user_id"])
        log.info("staff account created", extra={"user_id": str(user.id), "role": role, "office_code": office_code})
        return result

    def _staff_view(self, user_id):
        with self.db.transaction() as session:
            user = self._get(session, user_id)
            return {
                "user_id": str(user.id),
                "email": self._open(user, "email"),
                "full_name": self._open(user, "full_name"),
                "role": user.role,
                "office_code": user.office_code,
                "status": user.status,
            }

    def bootstrap_admin(self, email, password):
        """The first admin, at first start; later starts (or other replicas) find one and do nothing."""
        if not email or not password:
            return None
        with self.db.transaction() as session:
            if session.scalar(select(User.id).where(User.role == "admin").limit(1)):
                return None
        data = {"email": email, "full_name": "Administrator", "password": password, "role": "admin"}
        try:
            return self.create_staff(data, bootstrap=True)
        except AlreadyRegistered:
            return None

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
