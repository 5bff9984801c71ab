"""Identity service entrypoints. Domain rules live beside this file (registration, sessions, staff,
accounts, person, policy, throttle); they open their own transactions (docs/layout.md).

Every state-changing RPC takes the caller's ``client_ip`` (the gateway passes the client's address) for
throttling and the audit trail.
"""

from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from antre_common.timer import every
from identity import housekeeping, people, schemas
from identity.accounts import Accounts
from identity.dependencies import FirstAdmin, IdentityKeys
from identity.models import OutboxEvent, ProcessedEvent
from identity.registration import Registration
from identity.sessions import Sessions
from identity.settings import Settings
from identity.staff import Staff


class IdentityService(ServiceBase):
    name = "identity"

    db = Database(OutboxEvent, ProcessedEvent)
    keys = IdentityKeys()
    first_admin = FirstAdmin()

    @property
    def accounts(self):
        return Accounts(self.db, self.keys)

    @property
    def registration(self):
        return Registration(self.db, self.keys)

    @property
    def sessions(self):
        return Sessions(self.db, self.keys)

    @property
    def staff(self):
        return Staff(self.db, self.keys)

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
        return self.registration.register(data, self._ip(client_ip), self._key(idempotency_key))

    @rpc
    def verify(self, data, client_ip=None):
        """``{email, otp}`` → ``{user_id, status: "active"}``."""
        data = load(schemas.Verification(), data)
        return self.registration.verify(data["email"], data["otp"], self._ip(client_ip))

    @rpc
    def request_otp(self, email, client_ip=None):
        """A new code for a pending account; the same quiet answer for any other email."""
        self.registration.resend_code(str(email)[:254], self._ip(client_ip))

    @rpc
    def login(self, credentials, client_ip=None):
        """``{email, password}`` → ``{access_token, refresh_token, token_type, expires_in}``."""
        data = load(schemas.Credentials(), credentials)
        return self.sessions.login(data["email"], data["password"], self._ip(client_ip))

    @rpc
    def refresh(self, refresh_token, client_ip=None):
        return self.sessions.refresh(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def logout(self, refresh_token, client_ip=None):
        self.sessions.logout(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def create_staff(self, data, actor_id, client_ip=None, idempotency_key=None):
        """An admin (``actor_id``) makes an officer, supervisor or admin account."""
        actor = load(schemas.UserId(), {"user_id": actor_id})["user_id"]
        data = load(schemas.StaffAccount(), data)
        return self.staff.create_staff(data, actor, self._ip(client_ip), self._key(idempotency_key))

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
    def people(self, person_ids):
        """``{person_id: {full_name, nik_masked, birth_date}}`` of the known ones (staff compare the KTP)."""
        ids = load(schemas.PersonIds(), {"person_ids": person_ids})["person_ids"]
        return people.people(self.db, self.keys.box, ids)

    @rpc
    def audit_log(self, query=None):
        """Security events, newest first: ``{event?, user_id?, before?, limit?}``."""
        return self.accounts.audit_log(**load(schemas.AuditQuery(), query or {}))

    @every(Settings, "housekeeping_seconds")
    def housekeeping(self):
        housekeeping.run(self.db, self.keys.box, utcnow())
