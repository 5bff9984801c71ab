"""Identity service entrypoints. Domain rules live beside this file (registration, sessions, recovery, staff,
family, accounts, person, policy, throttle, registry); they open their own transactions (docs/layout.md).

Every state-changing RPC takes the caller's ``client_ip`` (the gateway passes the client's address) for
throttling and the audit trail. Contact and profile data go only to the services that need them, as the
broker proves the calling service (``self.caller.require_service``); a ``user_id`` or ``actor_id`` argument
must be the person of the access token in the RPC context (``self.caller.person_is``, docs/security.md).
"""

from antre_common.auth import Caller
from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from antre_common.timer import every
from identity import housekeeping, schemas
from identity.accounts import Accounts
from identity.dependencies import FirstAdmin, IdentityKeys, PopulationRegistry
from identity.family import Family
from identity.models import OutboxEvent, ProcessedEvent
from identity.recovery import PasswordReset
from identity.registration import Registration
from identity.second_factor import SecondFactor
from identity.service_staff import StaffEntrypoints
from identity.sessions import Sessions
from identity.settings import Settings
from identity.staff import Staff

SUITE = ("gateway", "scheduling", "documents", "notification", "payment", "integration")


class IdentityService(StaffEntrypoints, ServiceBase):
    name = "identity"

    db = Database(OutboxEvent, ProcessedEvent)
    keys = IdentityKeys()
    registry = PopulationRegistry()
    first_admin = FirstAdmin()
    caller = Caller()

    @property
    def accounts(self):
        return Accounts(self.db, self.keys)

    @property
    def registration(self):
        return Registration(self.db, self.keys, self.registry)

    @property
    def family_cards(self):
        return Family(self.db, self.keys, self.registry)

    @property
    def sessions(self):
        return Sessions(self.db, self.keys)

    @property
    def staff(self):
        return Staff(self.db, self.keys)

    @property
    def second_factor(self):
        return SecondFactor(self.db, self.keys)

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
        """``{email, password}`` → ``{access_token, refresh_token, token_type, expires_in}``; for staff
        ``{second_factor, challenge_token, expires_in}`` instead (``login_code`` gives the tokens)."""
        data = load(schemas.Credentials(), credentials)
        return self.sessions.login(data["email"], data["password"], self._ip(client_ip))

    @rpc
    def refresh(self, refresh_token, client_ip=None):
        return self.sessions.refresh(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def logout(self, refresh_token, client_ip=None):
        """The session ends; a staff session's revocation ``{session_ids, expires_at}`` is answered, else None."""
        return self.sessions.logout(str(refresh_token)[:200], self._ip(client_ip))

    @rpc
    def request_password_reset(self, email, client_ip=None):
        """A reset code to an active account's email; the same quiet answer for any other email."""
        PasswordReset(self.db, self.keys).request(str(email)[:254], self._ip(client_ip))

    @rpc
    def confirm_password_reset(self, data, client_ip=None):
        """``{email, otp, new_password}``: the new password, and every session of the account ends."""
        data = load(schemas.PasswordResetConfirm(), data)
        PasswordReset(self.db, self.keys).confirm(data["email"], data["otp"], data["new_password"], self._ip(client_ip))

    @rpc
    def family(self, user_id):
        """The members of the holder's family card, from the population registry."""
        self.caller.person_is(user_id)
        return self.family_cards.family(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def add_dependent(self, user_id, nik, client_ip=None):
        """A member of the holder's card without an account becomes their dependent."""
        self.caller.person_is(user_id)
        user = load(schemas.UserId(), {"user_id": user_id})["user_id"]
        return self.family_cards.add_dependent(user, load(schemas.Nik(), {"nik": nik})["nik"], self._ip(client_ip))

    @rpc
    def dependents(self, user_id):
        self.caller.person_is(user_id)
        return self.family_cards.dependents(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def person_for_booking(self, user_id, person_id):
        """``{person_id, person_ref}`` of the holder or one of their dependents; anyone else PERSON_NOT_FOUND."""
        self.caller.person_is(user_id)
        choice = load(schemas.PersonChoice(), {"user_id": user_id, "person_id": person_id})
        return self.family_cards.person_for_booking(choice["user_id"], choice["person_id"])

    @rpc
    def people(self, person_ids):
        """``{person_id: {full_name, nik_masked, birth_date}}``; unknown ids are left out. Scheduling's office day."""
        self.caller.require_service("scheduling")
        return self.family_cards.people(load(schemas.PersonIds(), {"person_ids": person_ids})["person_ids"])

    @rpc
    def get_user(self, user_id):
        """``{user_id, role, office_code, status, person_ref}``: for the suite's services only."""
        self.caller.require_service(*SUITE)
        return self.accounts.get_user(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def get_contact(self, user_id):
        """``{user_id, full_name, email, phone, nik_masked, language}``: for notification, at send time."""
        self.caller.require_service("notification")
        return self.accounts.get_contact(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def get_profile(self, user_id):
        """What ``GET /me`` shows."""
        self.caller.require_service("gateway")
        self.caller.person_is(user_id)
        return self.accounts.get_profile(load(schemas.UserId(), {"user_id": user_id})["user_id"])

    @rpc
    def audit_log(self, query=None):
        """Security events, newest first: ``{event?, user_id?, before?, limit?}``."""
        self.caller.staff_member("admin")
        return self.accounts.audit_log(**load(schemas.AuditQuery(), query or {}))

    @every(Settings, "housekeeping_seconds")
    def housekeeping(self):
        housekeeping.run(self.db, self.keys.box, utcnow(), self.keys.settings.pending_account_ttl_seconds)
