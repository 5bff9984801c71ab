"""Identity through the gateway, with the suite as processes: register → code by mail (real SMTP sink) →
verify → login → /me; token rotation and reuse; bad input; and the role check on every staff route."""

import json
import uuid
from pathlib import Path

import jwt
import pytest
import yaml

from .people import PASSWORD, admin_access_token, code_from_mail, new_person, staff_sign_in

ROOT = Path(__file__).resolve().parents[2]
OFFICE = yaml.safe_load((ROOT / "services/scheduling/scheduling/data/catalogue.yaml").read_text())["offices"][0]["code"]


def register_verify_login(gateway, mailbox, person):
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    return login.json()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin_token(stack, gateway):
    return admin_access_token(stack, gateway)


def test_register_mail_verify_login_me(stack, gateway, mailbox):
    person = new_person()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    registered = gateway.post("/api/v1/auth/register", json=person, headers=key)
    assert registered.status_code == 201, registered.text
    assert registered.json()["status"] == "pending_verification"
    user_id = registered.json()["user_id"]
    retried = gateway.post("/api/v1/auth/register", json=person, headers=key)  # the answer was lost: retry
    assert (retried.status_code, retried.json()) == (201, registered.json())

    otp = code_from_mail(mailbox, person["email"])
    early = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    assert (early.status_code, early.json()["code"]) == (403, "ACCOUNT_NOT_VERIFIED")
    wrong = gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": f"{(int(otp) + 1) % 10**6:06d}"})
    assert (wrong.status_code, wrong.json()["code"]) == (400, "OTP_INVALID")
    verified = gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp})
    assert verified.status_code == 200 and verified.json() == {"user_id": user_id, "status": "active"}

    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900  # noqa: S105
    me = gateway.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "user_id": user_id,
        "full_name": "Ayu Kartika",
        "email": person["email"],
        "phone": "+6281311223344",
        "nik_masked": person["nik"][:4] + "**" + person["nik"][6:8] + "****" + person["nik"][-4:],
        "role": "citizen",
        "office_code": None,
    }

    logs = "\n".join(p.read_text(errors="replace") for p in stack.logs.glob("*.log"))
    assert user_id in logs  # the run was logged, by user id
    for secret in (PASSWORD, otp, person["nik"], tokens["refresh_token"]):
        assert secret not in logs


def test_refresh_rotates_reuse_ends_the_session_and_logout_revokes(gateway, mailbox):
    tokens = register_verify_login(gateway, mailbox, new_person(female=False))
    rotated = gateway.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != tokens["refresh_token"]
    reused = gateway.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (reused.status_code, reused.json()["code"]) == (401, "REFRESH_TOKEN_REUSED")
    family = gateway.post("/api/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]})
    assert (family.status_code, family.json()["code"]) == (401, "REFRESH_TOKEN_INVALID")


def test_logout_ends_the_session(gateway, mailbox):
    person = new_person()
    tokens = register_verify_login(gateway, mailbox, person)
    assert gateway.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    after = gateway.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (after.status_code, after.json()["code"]) == (401, "REFRESH_TOKEN_INVALID")


def test_bad_input_gets_its_status_and_code(gateway, mailbox):
    person = new_person()
    bad_nik = gateway.post("/api/v1/auth/register", json={**person, "nik": "9973014211880001"})
    assert (bad_nik.status_code, bad_nik.json()["code"]) == (400, "VALIDATION_ERROR")
    assert "nik" in bad_nik.json()["errors"]
    mismatch = gateway.post("/api/v1/auth/register", json={**person, "birth_date": "1988-11-03"})
    assert "nik" in mismatch.json()["errors"]
    weak = gateway.post("/api/v1/auth/register", json={**person, "password": "password1234"})
    assert (weak.status_code, list(weak.json()["errors"])) == (400, ["password"])
    for field, value in (("email", "not-an-email"), ("phone", "12"), ("nik", "12345")):
        response = gateway.post("/api/v1/auth/register", json={**person, field: value})
        assert response.status_code == 400 and field in response.json()["errors"], field
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    too_soon = gateway.post("/api/v1/auth/otp", json={"email": person["email"]})  # quietly not sent (issue 17)
    unknown = gateway.post("/api/v1/auth/otp", json={"email": "nobody@example.id"})
    assert (
        (too_soon.status_code, too_soon.json())
        == (unknown.status_code, unknown.json())
        == (202, {"status": "accepted"})
    )
    again = gateway.post("/api/v1/auth/register", json={**person, "email": "another." + person["email"]})
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_REGISTERED")

    wrong = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": "not my password"})
    unknown = gateway.post("/api/v1/auth/login", json={"email": "nobody@example.id", "password": "not my password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "INVALID_CREDENTIALS"


def test_tampered_and_expired_tokens_are_refused(stack, gateway, mailbox):
    tokens = register_verify_login(gateway, mailbox, new_person())
    header, payload, signature = tokens["access_token"].split(".")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    forged_payload = jwt.utils.base64url_encode(json.dumps({**claims, "role": "admin"}).encode()).decode()
    tampered = gateway.get("/api/v1/admin/audit", headers=bearer(f"{header}.{forged_payload}.{signature}"))
    assert (tampered.status_code, tampered.json()["code"]) == (401, "UNAUTHENTICATED")
    key = (stack.config.var / "keys" / "jwt_ed25519.pem").read_text()
    expired = jwt.encode({**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1800}, key, algorithm="EdDSA")
    response = gateway.get("/api/v1/me", headers=bearer(expired))
    assert (response.status_code, response.json()["code"]) == (401, "TOKEN_EXPIRED")


def test_every_staff_route_checks_the_role(gateway, mailbox, admin_token):
    citizen = register_verify_login(gateway, mailbox, new_person())["access_token"]
    officer_account = {
        "email": f"petugas.{uuid.uuid4().hex[:8]}@imigrasi.go.id",
        "full_name": "Rudi Hartono",
        "password": "loket nomor tujuh belas",
        "role": "officer",
        "office_code": OFFICE,
    }
    routes = [
        ("POST", "/api/v1/admin/staff", {"json": officer_account}),
        ("GET", "/api/v1/admin/audit", {}),
    ]
    for method, path, kwargs in routes:
        assert gateway.request(method, path, **kwargs).status_code == 401, path
        refused = gateway.request(method, path, headers=bearer(citizen), **kwargs)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), path

    made = gateway.post("/api/v1/admin/staff", json=officer_account, headers=bearer(admin_token))
    assert made.status_code == 201, made.text
    assert (made.json()["role"], made.json()["office_code"]) == ("officer", OFFICE)
    tokens, _ = staff_sign_in(gateway, officer_account["email"], officer_account["password"])
    officer = tokens["access_token"]
    assert jwt.decode(officer, options={"verify_signature": False})["office"] == OFFICE
    for method, path, kwargs in routes:
        refused = gateway.request(method, path, headers=bearer(officer), **kwargs)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN"), path

    no_office = gateway.post(
        "/api/v1/admin/staff",
        json={**officer_account, "email": "x" + officer_account["email"], "office_code": "NOPE"},
        headers=bearer(admin_token),
    )
    assert (no_office.status_code, list(no_office.json()["errors"])) == (400, ["office_code"])

    audit = gateway.get("/api/v1/admin/audit", params={"event": "staff_created"}, headers=bearer(admin_token))
    assert audit.status_code == 200
    assert made.json()["user_id"] in [e["user_id"] for e in audit.json()["entries"]]


def test_repeated_failures_lock_with_retry_after(gateway, mailbox):
    person = new_person()
    register_verify_login(gateway, mailbox, person)
    forwarded = {"X-Forwarded-For": f"198.51.100.{uuid.uuid4().int % 250}"}
    for _ in range(4):
        wrong = gateway.post(
            "/api/v1/auth/login", json={**_creds(person), "password": "wrong guess"}, headers=forwarded
        )
        assert wrong.status_code == 401
    locked = gateway.post("/api/v1/auth/login", json={**_creds(person), "password": "wrong guess"}, headers=forwarded)
    assert (locked.status_code, locked.json()["code"]) == (429, "LOGIN_LOCKED")
    assert 0 < int(locked.headers["Retry-After"]) <= 901
    still = gateway.post("/api/v1/auth/login", json=_creds(person), headers=forwarded)
    assert still.status_code == 429


def _creds(person):
    return {"email": person["email"], "password": PASSWORD}
