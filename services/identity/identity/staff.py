"""Staff accounts: officers and supervisors bound to one office, national admins, and the first admin."""

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from identity import person, totp
from identity.accounts import Accounts
from identity.exceptions import AlreadyRegistered, Forbidden, NotFound, ValidationError
from identity.models import User
from identity.tokens import STAFF_ROLES

log = logging.getLogger(__name__)

OFFICE_ROLES = ("officer", "supervisor")


def staff_status(user, revoked=None):
    """What the admin's account actions answer; ``revoked``: the sessions that ended, for the gateway."""
    return {
        "user_id": str(user.id),
        "role": user.role,
        "office_code": user.office_code,
        "status": user.status,
        "totp_enrolled": bool(user.totp_secret_enc),
        "revoked": revoked,
    }


class Staff(Accounts):
    def create_staff(
        self, data, actor_id=None, client_ip=None, idempotency_key=None, *, bootstrap=False, totp_secret=None
    ):
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
            replay = self.records.replay(session, scope, idempotency_key, digest)
            if replay is None and self._user_by_email(session, email) is not None:
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
                    lookup_kid=self.box.lookup_kid or None,
                    password_hash=password_hash,
                    created_at=now,
                    verified_at=now,
                    created_by=actor_id,
                )
                self._seal(user, "email", email)
                self._seal(user, "full_name", full_name)
                if totp_secret:  # the first admin's, from ANTRE_ADMIN_TOTP_SECRET
                    self._seal(user, "totp_secret", totp_secret)
                    user.totp_enrolled_at = now
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
                self.records.remember(session, scope, idempotency_key, digest, {"user_id": result["user_id"]})
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

    def _admin_and_staff(self, session, actor_id, user_id, action):
        actor = session.get(User, actor_id)
        if actor is None or actor.role != "admin" or actor.status != "active":
            raise Forbidden(f"only an admin {action}")
        user = session.get(User, user_id, with_for_update=True)
        if user is None or user.role not in STAFF_ROLES:
            raise NotFound("no such staff account")
        return actor, user

    def disable(self, user_id, actor_id, client_ip=None):
        """An admin disables a staff account: it cannot log in any more and every session of it ends, its
        access tokens too (the gateway refuses them at once). Disabling twice answers the same."""
        now = self.now()
        with self.db.transaction() as session:
            actor, user = self._admin_and_staff(session, actor_id, user_id, "disables staff accounts")
            if user.id == actor.id:
                raise Forbidden("an admin cannot disable their own account")
            revoked = None
            if user.status != "disabled":
                user.status = "disabled"
                revoked = self._end_sessions(session, user, now)
                self._audit(session, "staff_disabled", "ok", user_id=user.id, actor_id=actor.id, client_ip=client_ip)
            return staff_status(user, revoked)

    def enable(self, user_id, actor_id, client_ip=None):
        """An admin enables a disabled staff account again (it signs in anew). Enabling twice answers the same."""
        with self.db.transaction() as session:
            actor, user = self._admin_and_staff(session, actor_id, user_id, "enables staff accounts")
            if user.status == "disabled":
                user.status = "active"
                self._audit(session, "staff_enabled", "ok", user_id=user.id, actor_id=actor.id, client_ip=client_ip)
            return staff_status(user)

    def end_sessions(self, user_id, actor_id, client_ip=None):
        """An admin ends every session of a staff member (their access tokens stop at once)."""
        now = self.now()
        with self.db.transaction() as session:
            actor, user = self._admin_and_staff(session, actor_id, user_id, "ends staff sessions")
            revoked = self._end_sessions(session, user, now)
            self._audit(session, "sessions_ended", "ok", user_id=user.id, actor_id=actor.id, client_ip=client_ip)
            return staff_status(user, revoked)

    def list_staff(self, actor_id):
        """Every staff account for the admin's screen, oldest first: name, email, role, office, state."""
        with self.db.transaction() as session:
            actor = session.get(User, actor_id)
            if actor is None or actor.role != "admin" or actor.status != "active":
                raise Forbidden("only an admin lists staff accounts")
            users = session.scalars(
                select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.created_at, User.id).limit(1000)
            ).all()
            return [
                {**staff_status(u), "email": self._open(u, "email"), "full_name": self._open(u, "full_name")}
                for u in users
            ]

    def bootstrap_admin(self, email, password, totp_secret=None):
        """The first admin, at first start; later starts (or other replicas) find one and do nothing. With
        ``totp_secret`` (ANTRE_ADMIN_TOTP_SECRET) they are enrolled already; without, they enrol at first sign-in."""
        if not email or not password:
            return None
        with self.db.transaction() as session:
            if session.scalar(select(User.id).where(User.role == "admin").limit(1)):
                return None
        data = {"email": email, "full_name": "Administrator", "password": password, "role": "admin"}
        try:
            if totp_secret:
                totp.matching_step(totp_secret, "000000", self.now())  # a secret that is not base32 fails here
            return self.create_staff(data, bootstrap=True, totp_secret=totp_secret)
        except AlreadyRegistered:
            return None
