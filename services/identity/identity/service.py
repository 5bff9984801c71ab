"""Identity service entrypoints. Domain rules live beside this file (accounts, person, policy, throttle).

Every state-changing RPC takes the caller's ``client_ip`` (the gateway passes the client's address) for
throttling and the audit trail.
"""

from nameko.timer import timer

from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from identity import housekeeping, schemas
from identity.accounts import Accounts
from identity.dependencies import FirstAdmin, IdentityKeys
from identity.models import OutboxEvent, ProcessedEvent


class IdentityService(ServiceBase):
    name = "identity"

    db = Database(OutboxEvent, ProcessedEvent)
    keys = IdentityKeys()
    first_admin = FirstAdmin()

    @property
    def accounts(self):
        return Accounts(self.db, self.keys)

    @staticmethod
    def _ip(client_ip):
        return load(schemas.ClientAddress(), {"client_ip": client_ip})["client_ip"]

    @staticmethod
    def _key(idempotency_key):
        return load(schemas.IdempotencyKey(), {"idempotency_key": idempotency_key})["idempotency_key"]

    @rpc
    def register(self, data, client_ip=None, idempotency_key=None):
        """``{nik, full_name, birth_date, email, phone, password, language?}`` → ``{user_id, status}``."""
        data = load(schemas.Registration(), data)
        return self.accounts.register(data, self._ip(client_ip), self._key(idempotency_key))

    @rpc
    def verify(self, data, client_ip=None):
        """``{email, otp}`` → ``{user_id, status: "active"}``."""
        data = load(schemas.Verification(), data)
        return self.accounts.verify(data["email"], data["otp"], self._ip(client_ip))

    @rpc
    def request_otp(self, email, client_ip=None):
        """A new code for a pending account; the same quiet answer for any other email."""
        self.accounts.resend_code(str(email)[:254], self._ip(client_ip))

    @rpc
    def login(self, credentials, client_ip=None):
        """``{email, password}`` → ``{access_token, refresh_token, token_type, expires_in}``."""
        data = load(schemas.Credentials(), credentials)
        return self.accounts.login(data["email"], data["password"], self._ip(client_ip))

    @rpc
    def refresh(self, refresh_token, client_ip=None):
        return self.accounts.refresh(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def logout(self, refresh_token, client_ip=None):
        self.accounts.logout(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def create_staff(self, data, actor_id, client_ip=None, idempotency_key=None):
        """An admin (``actor_id``) makes an officer, supervisor or admin account."""
        actor = load(schemas.UserId(), {"user_id": actor_id})["user_id"]
        data = load(schemas.StaffAccount(), data)
        return self.accounts.create_staff(data, actor, self._ip(client_ip), self._key(idempotency_key))

    @rpc
    def get_user(self, user_id):
        """``{user_id, role, office_code, status, person_ref}``."""
        return self.accounts.get_user(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def get_contact(self, user_id):
        """``{user_id, full_name, email, phone, nik_masked, language}``: for notification, at send time."""
        return self.accounts.get_contact(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def get_profile(self, user_id):
        """What ``GET /me`` shows."""
        return self.accounts.get_profile(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def audit_log(self, query=None):
        """Security events, newest first: ``{event?, user_id?, before?, limit?}``."""
        return self.accounts.audit_log(**load(schemas.AuditQuery(), query or {}))

    @timer(interval=30)
    def housekeeping(self):
        with self.db.transaction() as session:
            housekeeping.scrub_sent_codes(session)
            housekeeping.purge_stale(session, utcnow())
            housekeeping.reseal(session, self.keys.box)
