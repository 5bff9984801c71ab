"""Registration: a citizen account, checked against the population registry, pending until the one-time code
sent to its email is entered; a pending account is deleted after ``pending_account_ttl_seconds``."""

import logging
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from antre_common.envelope import utcnow
from identity import events, housekeeping, person, policy, throttle
from identity.accounts import Accounts, raise_if_error
from identity.exceptions import (
    AlreadyRegistered,
    NikNotVerified,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    PhoneLimitReached,
    RateLimited,
    ValidationError,
)
from identity.models import Dependent, OneTimeCode, User

log = logging.getLogger(__name__)

VERIFY = "verify"


class Registration(Accounts):
    def __init__(self, db, keys, now=utcnow):
        super().__init__(db, keys, now)
        self.accounts_per_phone = keys.settings.accounts_per_phone

    def _phone_in_use(self, session, phone_hash, phone, lock=False):
        """A phone number belongs to at most ``ACCOUNTS_PER_PHONE`` accounts (brokers invent identities, not
        phones); under ``lock`` registrations of one number are serialised, so two at once cannot both pass."""
        if lock:
            session.execute(select(func.pg_advisory_xact_lock(func.hashtext(phone_hash))))
        hashes = self.box.lookups("phone", phone)  # under every lookup key
        count = session.scalar(select(func.count()).select_from(User).where(User.phone_hash.in_(hashes)))
        if count >= self.accounts_per_phone:
            raise PhoneLimitReached("this phone number has its accounts", limit=self.accounts_per_phone)

    def _over_rate(self, session, now, client_ip, phone_hash, email_hash):
        """RateLimited when this address, phone number or email has registered too often lately (every
        attempt that gets past the input checks counts, a 409 included), else None."""
        rates = self.settings.register_rates
        keys = {f"phone:register:{phone_hash}": rates["phone"], f"email:register:{email_hash}": rates["email"]}
        if client_ip:
            keys[f"address:register:{client_ip}"] = rates["address"]
        over = throttle.count(session, keys, now)
        if over is None:
            return None
        self._audit(session, "registered", "rate_limited", client_ip=client_ip, limit=over[0].partition(":")[0])
        return RateLimited("too many registrations", retry_after=over[1])

    def register(self, data, client_ip=None, idempotency_key=None):
        """A citizen account, pending until the code sent to its email is entered. A retry with the same
        ``Idempotency-Key`` and body gets the first answer."""
        now = self.now()
        digest = self._request_hash(data)
        birth_date = person.check_birth_date(data["birth_date"], now.date())
        nik, _sex = person.check_nik(data["nik"], birth_date)
        email = person.normalize_email(data["email"])
        phone = person.normalize_phone(data["phone"], countries=self.phone_countries)
        full_name = " ".join(data["full_name"].split())
        person.check_password(data["password"], [email.partition("@")[0], full_name, nik])
        email_hash, nik_hash = self._email_hash(email), self.box.lookup("nik", nik)
        phone_hash = self.box.lookup("phone", phone)
        known = self._email_hashes(email) + self.box.lookups("nik", nik)  # rows under any lookup key

        with self.db.transaction() as session:  # cheap checks first: no registry call for a retry or duplicate
            replay = self.records.replay(session, "register", idempotency_key, digest)
            if replay is None:  # a retry of an answered request is not counted again
                replay = self._over_rate(session, now, client_ip, phone_hash, email_hash)
            if replay is None:
                # A pending account past its time goes now rather than at the next housekeeping pass.
                housekeeping.purge_pending(self.db, now, self.settings.pending_account_ttl_seconds, client_ip,
                                           hashes=known)  # fmt: skip
                if session.scalar(select(User.id).where(User.email_hash.in_(known) | User.nik_hash.in_(known))):
                    replay = AlreadyRegistered("an account exists for this NIK or email")
            if replay is None:
                try:
                    self._phone_in_use(session, phone_hash, phone)
                except PhoneLimitReached as exc:  # returned, not raised: the count above stays committed
                    replay = exc
        if replay is not None:
            return raise_if_error(replay)
        # Outside any transaction: the registry may take seconds, or not answer (503, nothing stored).
        verdict = self.registry.verify(nik, full_name, birth_date.isoformat())
        if not verdict.match:
            with self.db.transaction() as session:
                self._audit(session, "registered", "nik_not_verified", client_ip=client_ip)
            raise NikNotVerified("the population registry does not know this NIK with this name and birth date")
        with self.db.transaction() as session:
            # A family member someone booked for keeps their person_id as their account's id (docs/contracts.md).
            dependent = session.scalar(select(Dependent.id).where(Dependent.nik_hash.in_(self.box.lookups("nik", nik))))
            user_id = dependent or uuid.uuid4()
        password_hash = self.passwords.hash(data["password"])
        try:
            with self.db.transaction() as session:
                self._phone_in_use(session, phone_hash, phone, lock=True)
                user = User(
                    id=user_id,
                    role="citizen",
                    status="pending_verification",
                    language=data.get("language") or "id",
                    email_hash=email_hash,
                    nik_hash=nik_hash,
                    phone_hash=phone_hash,
                    lookup_kid=self.box.lookup_kid or None,
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
                self.db.add_event("user_registered", events.user_registered(user))
                self._send_code(session, user, now, phone=True)
                self._audit(session, "registered", "ok", user_id=user.id, client_ip=client_ip)
                result = {"user_id": str(user.id), "status": user.status}
                self.records.remember(session, "register", idempotency_key, digest, result)
        except IntegrityError:
            return self._replay_or_raise("register", idempotency_key, digest)
        log.info("citizen registered", extra={"user_id": str(user.id)})
        return result

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
                "otp_requested", events.otp_requested(user, channel, VERIFY, code, row.expires_at, self.otp_box)
            )

    def resend_code(self, email, client_ip=None):
        """Another code for a pending account. The answer never says whether an account exists: a pending,
        an active and an unknown email get the same quiet answer, and the limit that answers 429 is counted on
        the typed email's keyed hash and on the client address, whether or not an account is behind them
        (as a password reset). Only a pending account past its resend wait is sent a code."""
        now = self.now()
        try:
            email = person.normalize_email(email)
        except ValidationError:
            return None
        keys = [f"account:otp:{self._email_hash(email)}"] + ([f"address:otp:{client_ip}"] if client_ip else [])
        with self.db.transaction() as session:
            locked = throttle.begin(session, keys, now)
            if locked:
                self._audit(session, "otp_resend", "rate_limited", client_ip=client_ip)
                result = RateLimited("wait before asking for another code", retry_after=locked[1])
            else:
                result = self._resend_if_pending(session, email, now, client_ip)
        return raise_if_error(result)

    def _resend_if_pending(self, session, email, now, client_ip):
        user = self._user_by_email(session, email, lock=True)  # serialises concurrent resends
        if user is None or user.status != "pending_verification":
            return None
        if self._too_soon_for_another_code(
            session, user, VERIFY, now
        ):  # the same quiet answer: a 429 here would reveal the account
            self._audit(session, "otp_resend", "too_soon", user_id=user.id, client_ip=client_ip)
            return None
        self._send_code(session, user, now, phone=True)
        self._audit(session, "otp_resend", "ok", user_id=user.id, client_ip=client_ip)
        return None

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
            matches = code is not None and self.box.otp_matches(code.code_hash, code.id, otp)
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
                self._take_over_as_dependent(session, user, client_ip)
                result = {"user_id": str(user.id), "status": user.status}
        return raise_if_error(result)

    def _take_over_as_dependent(self, session, user, client_ip):
        """Someone's dependent now has an account of their own: they stop being a dependent, their future
        bookings become theirs (scheduling) and the holder is told (notification), through one event."""
        dependent = session.get(Dependent, user.id, with_for_update=True)
        if dependent is None:
            return
        holder_id = dependent.holder_id
        session.delete(dependent)
        self.db.add_event("dependent_registered", events.dependent_registered(user.id, holder_id))
        self._audit(session, "dependent_registered", "ok", user_id=user.id, actor_id=holder_id, client_ip=client_ip)
