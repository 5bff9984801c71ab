"""Staff's second factor and sessions on identity's real entrypoints (RabbitMQ, PostgreSQL): no tokens for a
password alone, enrolment, wrong and replayed codes, the lock, an admin's reset, sessions ended and published,
disable and enable, and document views in the audit log."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
import pytest
from nameko.events import event_handler
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from antre_common.envelope import make_envelope
from antre_common.testing import wait_until
from antre_dev.totp import code
from identity.exceptions import (
    AccountDisabled,
    ChallengeInvalid,
    LoginLocked,
    RefreshTokenInvalid,
    TotpAlreadyEnrolled,
    TotpInvalid,
)
from identity.service import IdentityService

from .gateway_calls import call

IP = "203.0.113.9"


class RevocationListener:
    """Stands in for the gateway: receives ``sessions_revoked`` on the real exchange."""

    name = "revocation_listener"
    received = []

    @event_handler("identity", "sessions_revoked")
    def on_revoked(self, envelope):
        RevocationListener.received.append(envelope["data"])


@pytest.fixture
def identity(container_factory, identity_config):
    RevocationListener.received = []
    listener = container_factory(RevocationListener, identity_config)
    listener.start()
    container = container_factory(IdentityService, identity_config)
    container.start()
    container.listener = listener
    provider = next(d for d in container.dependencies if d.attr_name == "first_admin")
    wait_until(lambda: provider.done, 10, what="the first admin")
    return container


@pytest.fixture
def admin(identity, identity_config, sign_in_staff):
    tokens, _ = sign_in_staff(
        identity, identity_config["ANTRE_ADMIN_EMAIL"], identity_config["ANTRE_ADMIN_PASSWORD"],
        identity_config["ANTRE_ADMIN_TOTP_SECRET"],
    )  # fmt: skip
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]


@pytest.fixture
def officer(identity, admin):
    account = {"email": f"o.{uuid.uuid4().hex[:6]}@imigrasi.go.id", "full_name": "Rina Wulandari",
               "password": "loket dua belas pagi", "role": "officer", "office_code": "JKS"}  # fmt: skip
    account["user_id"] = call(identity, "create_staff", account, admin)["user_id"]
    return account


def password_step(identity, account):
    return call(identity, "login", {"email": account["email"], "password": account["password"]}, client_ip=IP)


def test_a_staff_password_alone_gives_no_token_only_a_challenge_for_enrolment(identity, officer):
    step = password_step(identity, officer)
    assert set(step) == {"second_factor", "challenge_token", "expires_in"}
    assert step["second_factor"] == "totp_enrolment" and step["expires_in"] == 300
    with pytest.raises(RefreshTokenInvalid):  # a challenge is no refresh token
        call(identity, "refresh", step["challenge_token"])
    enrolment = call(identity, "enrol_second_factor", {"challenge_token": step["challenge_token"]})
    assert (
        enrolment["provisioning_uri"].startswith("otpauth://totp/Antre:")
        and "issuer=Antre" in enrolment["provisioning_uri"]
    )
    assert enrolment["qr_svg"].startswith("<?xml") and "<svg" in enrolment["qr_svg"]
    with pytest.raises(TotpInvalid):  # the pending secret is confirmed only by its own code
        call(identity, "login_code", {"challenge_token": step["challenge_token"], "code": "000000"})
    tokens = call(
        identity, "login_code", {"challenge_token": step["challenge_token"], "code": code(enrolment["secret"])}
    )
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["role"] == "officer" and claims["sid"] and claims["exp"] - claims["iat"] == 300
    assert tokens["expires_in"] == 300
    with pytest.raises(ChallengeInvalid):  # single use
        call(identity, "login_code", {"challenge_token": step["challenge_token"], "code": code(enrolment["secret"])})
    again = password_step(identity, officer)
    assert again["second_factor"] == "totp"
    with pytest.raises(TotpAlreadyEnrolled):  # a password alone cannot replace the authenticator
        call(identity, "enrol_second_factor", {"challenge_token": again["challenge_token"]})


def enrolled(identity, officer, sign_in_staff):
    tokens, secret = sign_in_staff(identity, officer["email"], officer["password"])
    return tokens, secret


def wrong_code(secret):
    """A code that belongs to no step of the window."""
    totp, now = pyotp.TOTP(secret), datetime.now(UTC)
    valid = {totp.generate_otp(totp.timecode(now) + d) for d in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in valid)


def test_a_used_code_is_refused_even_in_its_window_and_wrong_codes_lock(identity, officer, sign_in_staff, db):
    _, secret = enrolled(identity, officer, sign_in_staff)
    with db.connect() as conn:
        used = conn.exec_driver_sql(
            "SELECT totp_last_step FROM user_account WHERE id = %s", (officer["user_id"],)
        ).scalar()
    challenge = password_step(identity, officer)["challenge_token"]
    with pytest.raises(TotpInvalid):  # the code that just signed in, still inside its 30 seconds
        call(identity, "login_code", {"challenge_token": challenge, "code": pyotp.TOTP(secret).generate_otp(used)})
    [entry] = call(identity, "audit_log", {"event": "totp", "user_id": officer["user_id"]})
    assert entry["outcome"] == "failed" and entry["detail"]["reason"] == "replayed"
    for _ in range(3):
        with pytest.raises(TotpInvalid):
            call(identity, "login_code", {"challenge_token": challenge, "code": wrong_code(secret)})
    with pytest.raises(LoginLocked):  # the fifth wrong code locks the account's code step for a while
        call(identity, "login_code", {"challenge_token": challenge, "code": wrong_code(secret)})
    with pytest.raises(LoginLocked):  # even the right one, now
        call(identity, "login_code", {"challenge_token": challenge, "code": code(secret)})


def test_an_admin_resets_the_second_factor_ending_the_sessions_and_the_staff_enrols_again(
    identity, admin, officer, sign_in_staff
):
    tokens, _ = enrolled(identity, officer, sign_in_staff)
    sid = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    with entrypoint_waiter(identity.listener, "on_revoked", timeout=10):
        done = call(identity, "reset_second_factor", officer["user_id"], admin, client_ip=IP)
    assert done["totp_enrolled"] is False and done["revoked"]["session_ids"] == [sid]
    assert RevocationListener.received[-1]["session_ids"] == [sid]
    assert RevocationListener.received[-1]["user_id"] == officer["user_id"]
    assert password_step(identity, officer)["second_factor"] == "totp_enrolment"
    [entry] = call(identity, "audit_log", {"event": "totp_reset"})
    assert (entry["user_id"], entry["actor_id"]) == (officer["user_id"], admin)
    assert sid in {r["session_id"] for r in call(identity, "revoked_sessions")}  # what a starting gateway loads


def test_logout_and_ending_all_sessions_publish_the_revocation_and_disable_then_enable(
    identity, admin, officer, sign_in_staff
):
    first, secret = enrolled(identity, officer, sign_in_staff)
    second, _ = sign_in_staff(identity, officer["email"], officer["password"], secret)
    sids = sorted(jwt.decode(t["access_token"], options={"verify_signature": False})["sid"] for t in (first, second))
    revoked = call(identity, "logout", first["refresh_token"])
    assert revoked["session_ids"] == [jwt.decode(first["access_token"], options={"verify_signature": False})["sid"]]
    assert datetime.fromisoformat(revoked["expires_at"]) <= datetime.now(UTC) + timedelta(seconds=301)
    ended = call(identity, "end_my_sessions", officer["user_id"])
    assert ended["session_ids"] == [s for s in sids if s not in revoked["session_ids"]]
    wait_until(lambda: len(RevocationListener.received) >= 2, 10, what="both revocations published")
    disabled = call(identity, "disable_staff", officer["user_id"], admin)
    assert disabled["status"] == "disabled" and disabled["revoked"] is None  # nothing was left to end
    with pytest.raises(AccountDisabled):
        password_step(identity, officer)
    enabled = call(identity, "enable_staff", officer["user_id"], admin, client_ip=IP)
    assert enabled["status"] == "active" and enabled["totp_enrolled"] is True
    assert call(identity, "enable_staff", officer["user_id"], admin) == enabled  # twice: the same
    tokens, _ = sign_in_staff(identity, officer["email"], officer["password"], secret)
    assert tokens["access_token"]
    listed = {s["user_id"]: s for s in call(identity, "list_staff", admin)}
    assert listed[officer["user_id"]]["email"] == officer["email"] and listed[officer["user_id"]]["status"] == "active"
    events = [e["event"] for e in call(identity, "audit_log", {"user_id": officer["user_id"]})]
    assert {"staff_disabled", "staff_enabled", "sessions_ended", "logout"} <= set(events)


def test_a_document_view_reported_by_documents_is_an_audit_entry_once(identity, identity_config, officer):
    data = {"document_id": str(uuid.uuid4()), "doc_type": "ktp", "booking_id": str(uuid.uuid4()),
            "reservation_code": "ABCD2345", "viewer_id": officer["user_id"], "viewer_role": "officer",
            "viewer_office": "JKS"}  # fmt: skip
    envelope = make_envelope("document_viewed", data, "req-view-1")
    dispatch = event_dispatcher(identity_config)
    for _ in range(2):  # delivered twice: recorded once
        with entrypoint_waiter(identity, "on_document_viewed", timeout=10):
            dispatch("documents", "document_viewed", envelope)
    [entry] = call(identity, "audit_log", {"event": "document_viewed"})
    assert entry["user_id"] == officer["user_id"] and entry["request_id"] == "req-view-1"
    assert entry["detail"] == {
        "role": "officer",
        "office_code": "JKS",
        "document_id": data["document_id"],
        "doc_type": "ktp",
        "booking_id": data["booking_id"],
        "reservation_code": "ABCD2345",
    }
