"""Staff's second factor: enrolment of an authenticator (TOTP) and the code step of a staff login.

A staff member's right password answers a challenge (``Sessions._challenge``), not tokens. With the
challenge they enrol once (a new secret, sealed like personal data, pending until its first code) and then
send a code; tokens come only for a right code. A code's time step is remembered, so the same code (or an
older one) never works twice; wrong codes count against the account in the login throttle (5 in 15 minutes
lock it for 15) and against the client address. An admin can reset someone's authenticator (a lost phone):
their sessions end and they enrol again at their next sign-in.
"""

import logging
import uuid

from sqlalchemy import select

from antre_common.qr import render
from identity import throttle, totp
from identity.exceptions import (
    AccountDisabled,
    ChallengeInvalid,
    Forbidden,
    LoginLocked,
    NotFound,
    TotpAlreadyEnrolled,
    TotpInvalid,
)
from identity.models import LoginChallenge, User
from identity.secrets_box import token_hash
from identity.sessions import Sessions, raise_if_error
from identity.staff import staff_status
from identity.tokens import STAFF_ROLES

log = logging.getLogger(__name__)


class SecondFactor(Sessions):
    def _challenge_row(self, session, challenge_token, now, lock=False):
        stmt = select(LoginChallenge).where(LoginChallenge.token_hash == token_hash(challenge_token or ""))
        if lock:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        row = session.scalars(stmt).first()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise ChallengeInvalid("sign in again")
        return row

    def enrol(self, challenge_token, client_ip=None):
        """A new authenticator secret for a staff member who has none: ``{secret, provisioning_uri, qr_svg}``.
        It stays pending (a second call replaces it) until the first right code confirms it."""
        now = self.now()
        with self.db.transaction() as session:
            row = self._challenge_row(session, challenge_token, now)
            user = session.get(User, row.user_id, with_for_update=True, populate_existing=True)
            if user.totp_secret_enc:
                raise TotpAlreadyEnrolled("an authenticator is enrolled already")
            secret = totp.new_secret()
            self._seal(user, "totp_pending", secret)
            self._audit(session, "totp_enrolment", "started", user_id=user.id, client_ip=client_ip)
            uri = totp.provisioning_uri(secret, self._open(user, "email"))
        _, svg = render(uri, "svg")
        return {"secret": secret, "provisioning_uri": uri, "qr_svg": svg.decode()}

    def verify(self, challenge_token, code, client_ip=None):
        """Tokens for the right code of the challenge's staff member; a wrong or replayed code TOTP_INVALID."""
        now = self.now()
        with self.db.transaction() as session:
            row = self._challenge_row(session, challenge_token, now)
            keys = throttle.keys_for(f"totp:{row.user_id}", client_ip)
            locked = throttle.begin(session, keys, now)
            if locked:
                self._audit(session, "totp", "locked", user_id=row.user_id, client_ip=client_ip)
        if locked:
            raise LoginLocked("too many wrong codes", retry_after=locked[1])
        with self.db.transaction() as session:
            row = self._challenge_row(session, challenge_token, now, lock=True)
            user = session.get(User, row.user_id, with_for_update=True, populate_existing=True)
            result = self._check_code(session, user, keys, code, now, client_ip)
            if result is None:
                row.used_at = now
                result = self._issue(session, user, uuid.uuid4(), now)
                self._audit(session, "login", "ok", user_id=user.id, client_ip=client_ip, second_factor="totp")
        self._count_login(result)
        return raise_if_error(result)

    def _check_code(self, session, user, keys, code, now, client_ip):
        """None when the code is right (and remembered), else the error to raise after the commit."""
        pending = not user.totp_secret_enc
        secret = self._open(user, "totp_pending" if pending else "totp_secret")
        if secret is None:
            return ChallengeInvalid("enrol an authenticator first")
        reason = totp.refusal(step := totp.matching_step(secret, code, now), user.totp_last_step)
        if reason:
            locked = throttle.fail(session, keys, now)
            self._audit(session, "totp", "failed", user_id=user.id, client_ip=client_ip, reason=reason)
            if locked:
                return LoginLocked("too many wrong codes", retry_after=locked[1])
            return TotpInvalid("wrong code")
        throttle.succeed(session, keys)
        user.totp_last_step = step
        if pending:  # the first right code confirms the enrolment
            self._seal(user, "totp_secret", secret)
            user.totp_pending_enc, user.totp_enrolled_at = None, now
            self._audit(session, "totp_enrolment", "ok", user_id=user.id, client_ip=client_ip)
        if user.status != "active":
            return AccountDisabled("account disabled")
        return None

    def reset(self, user_id, actor_id, client_ip=None):
        """An admin removes a staff member's authenticator (lost phone): their sessions end, and their next
        sign-in enrols a new one. Audited with the admin as actor."""
        now = self.now()
        with self.db.transaction() as session:
            actor = session.get(User, actor_id)
            if actor is None or actor.role != "admin" or actor.status != "active":
                raise Forbidden("only an admin resets a second factor")
            user = session.get(User, user_id, with_for_update=True)
            if user is None or user.role not in STAFF_ROLES:
                raise NotFound("no such staff account")
            user.totp_secret_enc = user.totp_pending_enc = user.totp_enrolled_at = user.totp_last_step = None
            revocation = self._end_sessions(session, user, now)
            self._audit(session, "totp_reset", "ok", user_id=user.id, actor_id=actor.id, client_ip=client_ip)
            return staff_status(user, revocation)
