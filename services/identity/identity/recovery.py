"""Password reset by a code sent to the account's email; every session ends when the password changes.

The answer to a reset request never says whether an account exists: a known, a pending and an unknown email
all get the same quiet 202, and the limits that answer 429 are counted on the typed email's keyed hash and on
the client address, whether or not an account is behind them. Only an active account is sent a code.
"""

import uuid

from sqlalchemy import select, update

from identity import events, person, policy, throttle
from identity.accounts import Accounts, raise_if_error
from identity.exceptions import (
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    OtpUsed,
    RateLimited,
    ValidationError,
)
from identity.models import OneTimeCode

RESET = "reset"


class PasswordReset(Accounts):
    def request(self, email, client_ip=None):
        """Sends a reset code to an active account; the same answer for any other email."""
        now = self.now()
        try:
            email = person.normalize_email(email)
        except ValidationError:
            return None
        email_hash = self._email_hash(email)
        # Every request counts, like a failed login, on keys that exist for any typed email.
        keys = [f"account:reset:{email_hash}"] + ([f"address:reset:{client_ip}"] if client_ip else [])
        with self.db.transaction() as session:
            locked = throttle.begin(session, keys, now)
            if locked:
                self._audit(session, "password_reset", "rate_limited", client_ip=client_ip)
                result = RateLimited("too many reset requests", retry_after=locked[1])
            else:
                result = self._send_if_active(session, email, now, client_ip)
        return raise_if_error(result)

    def _send_if_active(self, session, email, now, client_ip):
        user = self._user_by_email(session, email, lock=True)
        if user is None or user.status != "active":
            return None
        if self._too_soon_for_another_code(
            session, user, RESET, now
        ):  # the same quiet answer: a 429 here would reveal the account
            return None
        session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == RESET, OneTimeCode.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        code = policy.new_otp_code()
        row = OneTimeCode(id=uuid.uuid4(), user_id=user.id, purpose=RESET, created_at=now)
        row.code_hash = self.box.otp_hash(row.id, code)
        row.expires_at = now + policy.RESET_TTL
        session.add(row)
        self.db.add_event(
            "otp_requested", events.otp_requested(user, "email", RESET, code, row.expires_at, self.otp_box)
        )
        self._audit(session, "password_reset", "code_sent", user_id=user.id, client_ip=client_ip)
        return None

    def confirm(self, email, otp, new_password, client_ip=None):
        """The right code sets the new password and ends every session of the account."""
        now = self.now()
        try:
            email = person.normalize_email(email)
        except ValidationError:
            raise OtpInvalid("wrong code") from None
        with self.db.transaction() as session:
            user, code = self._code(session, email)
            result = self._check(session, user, code, otp, now, client_ip)
        raise_if_error(result)
        person.check_password(new_password, [email.partition("@")[0], self._open(user, "full_name")])
        password_hash = self.passwords.hash(new_password)
        with self.db.transaction() as session:
            user, code = self._code(session, email)
            result = self._check(session, user, code, otp, now, client_ip)  # used meanwhile by a twin request?
            if result is None:
                code.consumed_at = now
                user.password_hash = password_hash
                self._end_sessions(session, user, now)
                self._audit(session, "password_reset", "ok", user_id=user.id, client_ip=client_ip)
        return raise_if_error(result)

    def _code(self, session, email):
        user = self._user_by_email(session, email, lock=True)
        if user is None or user.status != "active":
            return None, None
        code = session.scalars(
            select(OneTimeCode)
            .where(OneTimeCode.user_id == user.id, OneTimeCode.purpose == RESET)
            .order_by(OneTimeCode.created_at.desc())
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        return user, code

    def _check(self, session, user, code, otp, now, client_ip):
        """None if ``otp`` is the pending code; otherwise the error, with a wrong try counted."""
        if user is None or code is None:
            return OtpInvalid("wrong code")  # unknown email, or no code ever sent: as a wrong code
        state = policy.otp_state(code, now)
        if state == "used":
            return OtpUsed("this code has been used")
        if state == "expired":
            return OtpExpired("the code has expired")
        if state == "exhausted":
            return OtpAttemptsExceeded("too many wrong codes")
        if not self.box.otp_matches(code.code_hash, code.id, otp):
            code.attempts += 1
            self._audit(session, "password_reset", "wrong_code", user_id=user.id, client_ip=client_ip)
            if code.attempts >= policy.OTP_MAX_ATTEMPTS:
                return OtpAttemptsExceeded("too many wrong codes")
            return OtpInvalid("wrong code")
        return None
