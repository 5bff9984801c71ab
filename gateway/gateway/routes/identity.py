"""Accounts and sessions: register, verify, codes, login, tokens, /me, and the admin's staff and audit.

Every route passes the client's address to identity, which keeps the throttling state (the gateway is
stateless and has replicas)."""

import logging

from nameko.events import BROADCAST
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from antre_common.consumers import event_handler
from antre_common.errors import ServiceError, parse_remote
from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import api, client_ip, retry_after
from gateway.revocations import Revocations, revocation_tick
from gateway.schemas import identity as s

log = logging.getLogger(__name__)


def idempotency_key(request):
    return request.headers.get("Idempotency-Key") or None


class IdentityRoutes:
    identity = ServiceRpc("identity")
    scheduling = ServiceRpc("scheduling")
    revocations = Revocations()

    @api("POST", "/api/v1/auth/register", body=s.RegisterRequest(), response=s.RegisterResponse(), status=201,
         tags=["identity"])  # fmt: skip
    def register(self, request, body):
        """A citizen account, pending until the one-time code sent by email (and SMS) is entered.
        Honours Idempotency-Key (same key and body: the first answer). Rate limited per address, phone and
        email (here per gateway process, and in identity across replicas)."""
        phone = "".join(ch for ch in body["phone"] if ch.isdigit())[-10:]  # +62 812… and 0812… are one number
        email = body["email"].strip().lower()
        self.limits.check("register", address=client_ip(request), phone=phone, account=email)  # BookingRoutes'
        body = dict(body, birth_date=body["birth_date"].isoformat())
        return retry_after(
            self.identity.register, body, client_ip=client_ip(request), idempotency_key=idempotency_key(request)
        )

    @api("POST", "/api/v1/auth/verify", body=s.VerifyRequest(), response=s.RegisterResponse(), tags=["identity"])
    def verify(self, request, body):
        """Activates the account with the code that was sent."""
        return self.identity.verify(body, client_ip=client_ip(request))

    @api("POST", "/api/v1/auth/otp", body=s.OtpRequest(), response=s.Accepted(), status=202, tags=["identity"])
    def request_otp(self, request, body):
        """Sends a new code to a pending account; the same answer for any other email (rate limited)."""
        self.limits.check("codes", address=client_ip(request), account=body["email"].strip().lower())
        retry_after(self.identity.request_otp, body["email"], client_ip=client_ip(request))
        return {"status": "accepted"}

    @api("POST", "/api/v1/auth/login", body=s.LoginRequest(), response=s.LoginAnswer(), answers=(401,),
         tags=["identity"])  # fmt: skip
    def login(self, request, body):
        """Tokens for email and password; for staff a challenge for the authenticator code instead (enrolment
        first when they have none). Repeated failures lock the account and the address for a while."""
        return retry_after(self.identity.login, body, client_ip=client_ip(request))

    @api("POST", "/api/v1/auth/login/code", body=s.CodeRequest(), response=s.TokenPair(), answers=(401,),
         tags=["identity"])  # fmt: skip
    def login_code(self, request, body):
        """Staff, second step: the challenge and the authenticator's 6-digit code → tokens. A used code never
        works again; five wrong codes lock the code step for a while (429)."""
        return retry_after(self.identity.login_code, body, client_ip=client_ip(request))

    @api("POST", "/api/v1/auth/totp/enrolment", body=s.ChallengeRequest(), response=s.Enrolment(), status=201,
         answers=(401,), tags=["identity"])  # fmt: skip
    def enrol_totp(self, request, body):
        """Staff without an authenticator, after their password: a new secret and its QR; the first right code
        at /auth/login/code confirms it."""
        return self.identity.enrol_second_factor(body, client_ip=client_ip(request))

    @api("POST", "/api/v1/auth/refresh", body=s.RefreshRequest(), response=s.TokenPair(), answers=(401,),
         tags=["identity"])  # fmt: skip
    def refresh(self, request, body):
        """A new pair; the old refresh token stops working, and using it again ends the whole session."""
        return self.identity.refresh(body["refresh_token"], client_ip=client_ip(request))

    @api("POST", "/api/v1/auth/logout", body=s.RefreshRequest(), status=204, answers=(401,),
         tags=["identity"])  # fmt: skip
    def logout(self, request, body):
        """Ends the session of this refresh token; a staff session's access tokens stop at once (citizens' run
        out within 15 minutes)."""
        self.revocations.add_revocation(self.identity.logout(body["refresh_token"], client_ip=client_ip(request)))
        return Response(status=204)

    @api("POST", "/api/v1/me/sessions/end", status=204, auth=True, tags=["identity"])
    def end_my_sessions(self, request, user):
        """Ends every session of the signed-in person, this one included (a lost phone, a shared PC)."""
        self.revocations.add_revocation(self.identity.end_my_sessions(user.user_id, client_ip=client_ip(request)))
        return Response(status=204)

    @api("POST", "/api/v1/auth/password-reset", body=s.PasswordResetRequest(), response=s.Accepted(), status=202,
         tags=["identity"])  # fmt: skip
    def password_reset(self, request, body):
        """Sends a reset code if an active account has this email; the same answer for any email."""
        retry_after(self.identity.request_password_reset, body["email"], client_ip=client_ip(request))
        return {"status": "accepted"}

    @api("POST", "/api/v1/auth/password-reset/confirm", body=s.PasswordResetConfirm(), status=204, tags=["identity"])
    def password_reset_confirm(self, request, body):
        """Sets the new password with the code from the email; every session of the account ends."""
        self.identity.confirm_password_reset(body, client_ip=client_ip(request))
        return Response(status=204)

    @api("GET", "/api/v1/me", response=s.Me(), auth=True, tags=["identity"])
    def me(self, request, user):
        """The signed-in person, with the NIK masked."""
        return self.identity.get_profile(user.user_id)

    @api("POST", "/api/v1/admin/staff", body=s.StaffRequest(), response=s.Staff(), status=201, auth=("admin",),
         tags=["identity"])  # fmt: skip
    def create_staff(self, request, body, user):
        """Admin only: an officer or supervisor of one office, or another admin."""
        if body["role"] != "admin" and body.get("office_code"):
            self._check_office(body["office_code"])
        return self.identity.create_staff(
            body, user.user_id, client_ip=client_ip(request), idempotency_key=idempotency_key(request)
        )

    @api("POST", "/api/v1/admin/staff/<user_id>/disable", response=s.StaffStatus(), auth=("admin",),
         tags=["identity"])  # fmt: skip
    def disable_staff(self, request, user_id, user):
        """Admin only: the staff account cannot log in any more and its sessions end (its tokens at once)."""
        return self._staff_action(self.identity.disable_staff, request, user_id, user)

    @api("POST", "/api/v1/admin/staff/<user_id>/enable", response=s.StaffStatus(), auth=("admin",),
         tags=["identity"])  # fmt: skip
    def enable_staff(self, request, user_id, user):
        """Admin only: a disabled staff account can sign in again."""
        return self._staff_action(self.identity.enable_staff, request, user_id, user)

    @api("POST", "/api/v1/admin/staff/<user_id>/sessions/end", response=s.StaffStatus(), auth=("admin",),
         tags=["identity"])  # fmt: skip
    def end_staff_sessions(self, request, user_id, user):
        """Admin only: every session of the staff account ends (its tokens at once)."""
        return self._staff_action(self.identity.end_staff_sessions, request, user_id, user)

    @api("POST", "/api/v1/admin/staff/<user_id>/second-factor/reset", response=s.StaffStatus(), auth=("admin",),
         tags=["identity"])  # fmt: skip
    def reset_second_factor(self, request, user_id, user):
        """Admin only: removes a staff member's authenticator (a lost phone); their sessions end and they enrol
        a new one at their next sign-in. Audited."""
        return self._staff_action(self.identity.reset_second_factor, request, user_id, user)

    @api("GET", "/api/v1/admin/staff", response=s.StaffMember(many=True), auth=("admin",), tags=["identity"])
    def list_staff(self, request, user):
        """Admin only: every staff account (name, email, role, office, status, authenticator enrolled)."""
        return self.identity.list_staff(user.user_id)

    def _staff_action(self, action, request, user_id, user):
        answer = action(user_id, user.user_id, client_ip=client_ip(request))
        self.revocations.add_revocation(answer.get("revoked"))
        return answer

    # -- ended staff sessions: every replica refuses their tokens (gateway/revocations.py) -------------------

    @event_handler("identity", "sessions_revoked", handler_type=BROADCAST, reliable_delivery=False)
    def on_sessions_revoked(self, envelope):
        self.revocations.add_revocation(envelope["data"])

    @revocation_tick
    def load_revocations(self):
        """At start (until it succeeds) and every REVOCATIONS_RELOAD_SECONDS: events missed while away."""
        if not self.revocations.due():
            return
        try:
            entries = self.identity.revoked_sessions()
        except (RemoteError, ServiceError) as exc:  # identity starting or down: the next tick tries again
            log.warning("revoked sessions not loaded", extra={"error": type(exc).__name__})
            return
        self.revocations.load(entries)

    def _check_office(self, code):
        """Staff are bound to an office that exists (scheduling owns the offices)."""
        try:
            self.scheduling.get_office(code)
        except RemoteError as exc:
            if (parse_remote(exc.value) or {}).get("code") in ("NOT_FOUND", "OFFICE_NOT_FOUND"):
                raise GatewayError("VALIDATION_ERROR", errors={"office_code": ["unknown office"]}) from None
            raise

    @api("GET", "/api/v1/admin/audit", query=s.AuditQuery(), response=s.AuditPage(), auth=("admin",),
         tags=["identity"])  # fmt: skip
    def audit_log(self, request, query, user):
        """Admin only: security events (registrations, logins, locks, token reuse, staff), newest first."""
        if query.get("before"):
            query["before"] = query["before"].isoformat()
        if query.get("user_id"):
            query["user_id"] = str(query["user_id"])
        return {"entries": self.identity.audit_log(query)}
