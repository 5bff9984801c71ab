"""Sessions: login (throttled), access and refresh tokens, rotation with reuse detection, logout.

Staff do not get tokens for a password alone: their login answers a challenge, and ``second_factor`` issues
the tokens for the authenticator code (docs in the service README, "Staff accounts")."""

import logging
import uuid
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy import select

from antre_common.metrics import metric
from identity import throttle
from identity.accounts import Accounts, raise_if_error
from identity.exceptions import (
    AccountDisabled,
    AccountNotVerified,
    InvalidCredentials,
    LoginLocked,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from identity.models import LoginChallenge, RefreshToken, User
from identity.secrets_box import token_hash
from identity.tokens import REFRESH_TTL, STAFF_ROLES, new_refresh_token

log = logging.getLogger(__name__)

# For dashboards and alerts: a rise of "failed" or "locked" is credential stuffing, of "reused" token theft.
LOGINS = metric(Counter, "antre_identity_logins_total", "Login attempts by outcome", ["outcome"])
TOKEN_REUSE = metric(Counter, "antre_identity_refresh_token_reuse_total", "Rotated refresh tokens presented again")


class Sessions(Accounts):
    def login(self, email, password, client_ip=None):
        """Tokens for the right email and password; one answer for a wrong email or password."""
        now = self.now()
        email = (email or "").strip().lower()
        email_hash = self._email_hash(email)
        keys = throttle.keys_for(email_hash, client_ip)
        with self.db.transaction() as session:
            locked = throttle.begin(session, keys, now)
            user = None if locked else self._user_by_email(session, email)
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
                    if user.role in STAFF_ROLES:
                        result = self._challenge(session, user, now)
                    else:
                        result = self._issue(session, user, uuid.uuid4(), now)
                outcome = user.status
                if isinstance(result, dict):
                    outcome = "challenged" if "challenge_token" in result else "ok"
                self._audit(session, "login", outcome, user_id=user.id, client_ip=client_ip)
        self._count_login(result)
        return raise_if_error(result)

    @staticmethod
    def _count_login(result):
        if isinstance(result, dict):  # a staff password step is "challenged"; its code step counts the "ok"
            LOGINS.labels("challenged" if "challenge_token" in result else "ok").inc()
        else:
            LOGINS.labels({"LOGIN_LOCKED": "locked", "INVALID_CREDENTIALS": "failed"}.get(result.code, "refused")).inc()

    def _challenge(self, session, user, now):
        """The password was right for a staff member: a short-lived, single-use challenge for the code step
        (or, without an authenticator yet, for enrolment first). Not an access token: it opens nothing else."""
        token = new_refresh_token()
        ttl = timedelta(seconds=self.settings.login_challenge_seconds)
        session.add(LoginChallenge(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + ttl))
        return {
            "second_factor": "totp" if user.totp_secret_enc else "totp_enrolment",
            "challenge_token": token,
            "expires_in": int(ttl.total_seconds()),
        }

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
            "access_token": self.signer.access_token(user, now, session_id=family_id),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.signer.expires_in(user.role),
        }

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
                self._end_sessions(session, session.get(User, row.user_id), now, family_id=row.family_id)
                self._audit(session, "token_reuse", "revoked", user_id=row.user_id, client_ip=client_ip)
                log.warning("refresh token reused; family revoked", extra={"user_id": str(row.user_id)})
                result = RefreshTokenReused("refresh token already used")
                TOKEN_REUSE.inc()
            else:
                user = session.get(User, row.user_id, populate_existing=True)
                row.used_at = now
                if user.status != "active":
                    self._end_sessions(session, user, now, family_id=row.family_id)
                    result = RefreshTokenInvalid("refresh token not valid")
                else:
                    result = self._issue(session, user, row.family_id, now)
        return raise_if_error(result)

    def logout(self, refresh_token, client_ip=None):
        """Revokes the session the refresh token belongs to; unknown tokens are quietly accepted. Answers the
        revocation of a staff session (``{session_ids, expires_at}``), else None."""
        now = self.now()
        with self.db.transaction() as session:
            row = session.scalars(
                select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
            ).first()
            if row is not None and row.revoked_at is None:
                user = session.get(User, row.user_id)
                revocation = self._end_sessions(session, user, now, family_id=row.family_id)
                self._audit(session, "logout", "ok", user_id=row.user_id, client_ip=client_ip)
                return revocation
        return None

    def end_all(self, user_id, client_ip=None):
        """Every session of the signed-in ``user_id`` ends, this one included (a lost phone, a shared PC)."""
        now = self.now()
        with self.db.transaction() as session:
            user = self._get(session, user_id)
            revocation = self._end_sessions(session, user, now)
            self._audit(session, "sessions_ended", "ok", user_id=user.id, actor_id=user.id, client_ip=client_ip)
            return revocation
