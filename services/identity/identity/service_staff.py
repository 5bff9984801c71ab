"""Identity's staff entrypoints (a part of ``service.py``, docs/layout.md): accounts made and managed by an
admin, the second factor of a staff login, sessions ended, revocations for the gateway, and the audit of
document views that documents reports. Who may call: as in ``service.py`` (``self.caller``, docs/security.md)."""

from antre_common.consumers import event_handler
from antre_common.errors import load
from antre_common.rpc import rpc
from identity import schemas


class StaffEntrypoints:
    @rpc
    def create_staff(self, data, actor_id, client_ip=None, idempotency_key=None):
        """An admin (``actor_id``) makes an officer, supervisor or admin account."""
        self.caller.staff_member("admin", user_id=actor_id)
        actor = load(schemas.UserId(), {"user_id": actor_id})["user_id"]
        data = load(schemas.StaffAccount(), data)
        return self.staff.create_staff(data, actor, self._ip(client_ip), self._key(idempotency_key))

    @rpc
    def list_staff(self, actor_id):
        """Every staff account for an admin: ``[{user_id, email, full_name, role, office_code, status, …}]``."""
        self.caller.staff_member("admin", user_id=actor_id)
        return self.staff.list_staff(load(schemas.UserId(), {"user_id": actor_id})["user_id"])

    def _action(self, user_id, actor_id):
        """An admin's action on a staff account: the signed-in person must be that admin (docs/security.md)."""
        self.caller.staff_member("admin", user_id=actor_id)
        ids = load(schemas.StaffAction(), {"user_id": user_id, "actor_id": actor_id})
        return ids["user_id"], ids["actor_id"]

    @rpc
    def disable_staff(self, user_id, actor_id, client_ip=None):
        """An admin (``actor_id``) disables a staff account; its sessions end."""
        return self.staff.disable(*self._action(user_id, actor_id), self._ip(client_ip))

    @rpc
    def enable_staff(self, user_id, actor_id, client_ip=None):
        """An admin enables a disabled staff account again."""
        return self.staff.enable(*self._action(user_id, actor_id), self._ip(client_ip))

    @rpc
    def end_staff_sessions(self, user_id, actor_id, client_ip=None):
        """An admin ends every session of a staff account."""
        return self.staff.end_sessions(*self._action(user_id, actor_id), self._ip(client_ip))

    @rpc
    def reset_second_factor(self, user_id, actor_id, client_ip=None):
        """An admin removes a staff member's authenticator; they enrol again at their next sign-in."""
        return self.second_factor.reset(*self._action(user_id, actor_id), self._ip(client_ip))

    @rpc
    def end_my_sessions(self, user_id, client_ip=None):
        """Every session of the signed-in person ends."""
        self.caller.person_is(user_id)
        return self.sessions.end_all(load(schemas.UserId(), {"user_id": user_id})["user_id"], self._ip(client_ip))

    @rpc
    def enrol_second_factor(self, data, client_ip=None):
        """``{challenge_token}`` of a staff login → ``{secret, provisioning_uri, qr_svg}`` (pending its first code)."""
        data = load(schemas.Challenge(), data)
        return self.second_factor.enrol(data["challenge_token"], self._ip(client_ip))

    @rpc
    def login_code(self, data, client_ip=None):
        """``{challenge_token, code}`` → the token pair of a staff login."""
        data = load(schemas.SecondFactorCode(), data)
        return self.second_factor.verify(data["challenge_token"], data["code"], self._ip(client_ip))

    @rpc
    def revoked_sessions(self):
        """Staff sessions ended within an access token's life: ``[{session_id, expires_at}]`` (gateway start-up)."""
        self.caller.require_service("gateway")
        return self.accounts.revoked_sessions()

    @event_handler("documents", "document_viewed")
    def on_document_viewed(self, envelope):
        self.accounts.record_document_view(envelope, load(schemas.DocumentViewed(), envelope["data"]))
