"""Staff accounts through the gateway, the suite as processes: no token for a staff password alone, the
authenticator code (wrong and replayed codes refused), enrolment, logout and "end all sessions" stopping the
access token at once, a disabled account's token refused at once and its re-enabling, an admin's reset of a
second factor, and every document view in the audit log without personal data."""

import json
import uuid
from datetime import UTC, datetime

import jwt
import pyotp
import pytest

from antre_common.testing import wait_until
from antre_dev import totp
from documents import samples

from .people import admin_access_token, staff_sign_in
from .test_documents import book, upload
from .tokens import citizen

OFFICE = "BDG"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(stack, gateway):
    return bearer(admin_access_token(stack, gateway))


@pytest.fixture
def officer(gateway, admin):
    account = {"email": f"petugas.{uuid.uuid4().hex[:8]}@imigrasi.go.id", "full_name": "Wulan Sari",
               "password": "antrean siang bandung raya", "role": "officer", "office_code": OFFICE}  # fmt: skip
    made = gateway.post("/api/v1/admin/staff", json=account, headers=admin)
    assert made.status_code == 201, made.text
    return {**account, "user_id": made.json()["user_id"]}


def password_step(gateway, account):
    return gateway.post("/api/v1/auth/login", json={"email": account["email"], "password": account["password"]})


def test_a_staff_password_alone_gives_no_token_and_the_challenge_opens_nothing(gateway, officer):
    step = password_step(gateway, officer)
    assert step.status_code == 200
    assert "access_token" not in step.json() and "refresh_token" not in step.json()
    assert step.json()["second_factor"] == "totp_enrolment"
    challenge = step.json()["challenge_token"]
    assert gateway.get("/api/v1/me", headers=bearer(challenge)).status_code == 401  # not an access token
    refused = gateway.post("/api/v1/auth/refresh", json={"refresh_token": challenge})
    assert refused.status_code == 401
    enrolment = gateway.post("/api/v1/auth/totp/enrolment", json={"challenge_token": challenge})
    assert enrolment.status_code == 201, enrolment.text
    assert enrolment.json()["provisioning_uri"].startswith("otpauth://totp/Antre:")
    assert "<svg" in enrolment.json()["qr_svg"]
    missing = gateway.post("/api/v1/auth/login/code", json={"challenge_token": challenge})
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["code"])


def test_wrong_and_replayed_codes_are_refused(gateway, officer):
    tokens, secret = staff_sign_in(gateway, officer["email"], officer["password"])
    used = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert used["role"] == "officer" and used["sid"] and used["exp"] - used["iat"] == 300  # 5 minutes for staff
    assert tokens["expires_in"] == 300
    challenge = password_step(gateway, officer).json()["challenge_token"]
    app = pyotp.TOTP(secret)
    valid = {app.generate_otp(app.timecode(datetime.now(UTC)) + d) for d in (-2, -1, 0, 1, 2)}
    wrong_code = next(c for c in (f"{n:06d}" for n in range(1000)) if c not in valid)  # no step's code
    wrong = gateway.post("/api/v1/auth/login/code", json={"challenge_token": challenge, "code": wrong_code})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "TOTP_INVALID")
    last = totp.code(secret)  # the next code the app shows, used once …
    first = gateway.post("/api/v1/auth/login/code", json={"challenge_token": challenge, "code": last})
    assert first.status_code == 200, first.text
    again = password_step(gateway, officer).json()["challenge_token"]
    replayed = gateway.post("/api/v1/auth/login/code", json={"challenge_token": again, "code": last})
    assert (replayed.status_code, replayed.json()["code"]) == (401, "TOTP_INVALID")  # … and never again


def test_logout_and_ending_all_sessions_stop_the_access_token_at_once(gateway, officer):
    tokens, secret = staff_sign_in(gateway, officer["email"], officer["password"])
    assert gateway.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert gateway.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    after = gateway.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert (after.status_code, after.json()["code"]) == (401, "SESSION_REVOKED")

    phone, _ = staff_sign_in(gateway, officer["email"], officer["password"], secret)
    desk, _ = staff_sign_in(gateway, officer["email"], officer["password"], secret)
    assert gateway.post("/api/v1/me/sessions/end", headers=bearer(desk["access_token"])).status_code == 204
    for session in (phone, desk):
        assert gateway.get("/api/v1/me", headers=bearer(session["access_token"])).status_code == 401
        assert gateway.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401


def test_a_disabled_staff_token_is_refused_at_once_and_the_admin_enables_resets_and_ends_sessions(
    gateway, admin, officer
):
    tokens, secret = staff_sign_in(gateway, officer["email"], officer["password"])
    me = bearer(tokens["access_token"])
    assert gateway.get("/api/v1/me", headers=me).status_code == 200
    base = f"/api/v1/admin/staff/{officer['user_id']}"
    assert gateway.post(f"{base}/enable", headers=me).status_code == 403  # an officer is no admin
    disabled = gateway.post(f"{base}/disable", headers=admin)
    assert (disabled.status_code, disabled.json()["status"]) == (200, "disabled")
    assert "revoked" not in disabled.json()  # the gateway's own business
    refused = gateway.get("/api/v1/me", headers=me)
    assert (refused.status_code, refused.json()["code"]) == (401, "SESSION_REVOKED")
    assert (password_step(gateway, officer).json()["code"]) == "ACCOUNT_DISABLED"

    enabled = gateway.post(f"{base}/enable", headers=admin)
    assert (enabled.status_code, enabled.json()["status"], enabled.json()["totp_enrolled"]) == (200, "active", True)
    listed = gateway.get("/api/v1/admin/staff", headers=admin)
    assert {"user_id": officer["user_id"], "status": "active", "email": officer["email"]}.items() <= next(
        s for s in listed.json() if s["user_id"] == officer["user_id"]
    ).items()
    again, _ = staff_sign_in(gateway, officer["email"], officer["password"], secret)
    ended = gateway.post(f"{base}/sessions/end", headers=admin)
    assert ended.status_code == 200
    assert gateway.get("/api/v1/me", headers=bearer(again["access_token"])).status_code == 401

    reset = gateway.post(f"{base}/second-factor/reset", headers=admin)
    assert (reset.status_code, reset.json()["totp_enrolled"]) == (200, False)
    assert password_step(gateway, officer).json()["second_factor"] == "totp_enrolment"
    audit = gateway.get("/api/v1/admin/audit", params={"user_id": officer["user_id"]}, headers=admin).json()
    assert {"staff_disabled", "staff_enabled", "sessions_ended", "totp_reset"} <= {e["event"] for e in audit["entries"]}


def test_every_document_view_is_in_the_audit_log_with_who_what_and_when_and_nothing_personal(
    stack, gateway, admin, officer
):
    owner = citizen()
    code = book(stack, gateway, owner)
    doc = upload(gateway, stack, owner, code, "ktp", samples.pdf(3000)).json()
    tokens, _ = staff_sign_in(gateway, officer["email"], officer["password"])
    for _ in range(2):  # viewed, then downloaded: two entries
        served = gateway.get(f"/api/v1/documents/{doc['document_id']}/content", headers=bearer(tokens["access_token"]))
        assert served.status_code == 200

    def views():
        query = {"event": "document_viewed", "user_id": officer["user_id"]}
        return gateway.get("/api/v1/admin/audit", params=query, headers=admin).json()["entries"]

    entries = wait_until(lambda: len(views()) == 2 and views(), 30, what="two document views audited")
    for entry in entries:
        assert entry["user_id"] == officer["user_id"] and entry["occurred_at"]
        detail = entry.pop("detail")
        assert detail.pop("booking_id")
        assert detail == {"role": "officer", "office_code": OFFICE, "document_id": doc["document_id"],
                          "doc_type": "ktp", "reservation_code": code}  # fmt: skip
        assert officer["email"] not in json.dumps(entry) and "Wulan" not in json.dumps(entry)


def test_the_new_staff_routes_are_in_the_openapi_contract(gateway):
    paths = gateway.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/auth/login/code", "/api/v1/auth/totp/enrolment", "/api/v1/me/sessions/end"):
        assert "post" in paths[path], path
    assert "get" in paths["/api/v1/admin/staff"] and "post" in paths["/api/v1/admin/staff"]
    for action in ("disable", "enable", "sessions/end", "second-factor/reset"):
        assert "bearer" in str(paths[f"/api/v1/admin/staff/{{user_id}}/{action}"]["post"]["security"]), action
    login = paths["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert login["$ref"].endswith("/LoginAnswer")
