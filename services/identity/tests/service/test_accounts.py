"""identity's real entrypoints on real RabbitMQ and PostgreSQL: register, codes, login, tokens, staff."""

import base64
import json
import logging
import os
import uuid

import eventlet
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client import REGISTRY
from sqlalchemy import text

from antre_common.auth import (
    ACCESS_TOKEN_KEY,
    CALLER_KEY,
    CallerNotAllowed,
    NotThePerson,
    TokenExpired,
    Unauthenticated,
)
from antre_common.logs import JsonFormatter
from antre_common.testing import wait_until
from identity.exceptions import (
    AccountNotVerified,
    AlreadyRegistered,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCredentials,
    LoginLocked,
    NotFound,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    RateLimited,
    RefreshTokenInvalid,
    RefreshTokenReused,
    ValidationError,
)
from identity.service import IdentityService

from ..conftest import opened
from .gateway_calls import call, token

IP = "203.0.113.7"
WRONG = "wrong password number"  # noqa: S105 - test value


class OtpListener:
    """Stands in for notification: receives the codes on the real exchange."""

    name = "otp_listener"
    received = []

    config = Config()

    @event_handler("identity", "otp_requested")
    def on_otp(self, envelope):
        OtpListener.received.append(opened(envelope, self.config))


@pytest.fixture
def identity(container_factory, identity_config):
    OtpListener.received = []
    listener = container_factory(OtpListener, identity_config)
    listener.start()
    container = container_factory(IdentityService, identity_config)
    container.start()
    container.listener = listener
    return container


def register_and_get_code(container, data, **kwargs):
    """Registers and returns (result, code from the email event)."""
    with entrypoint_waiter(container.listener, "on_otp", timeout=10, callback=lambda *_: email_code() is not None):
        result = call(container, "register", data, client_ip=IP, **kwargs)
    return result, email_code()


def email_code():
    return next((e["data"]["otp"] for e in OtpListener.received if e["data"]["channel"] == "email"), None)


def active_citizen(container, data):
    result, code = register_and_get_code(container, data)
    call(container, "verify", {"email": data["email"], "otp": code}, client_ip=IP)
    return result["user_id"]


def login(container, data, password=None, ip=IP):
    return call(container, "login", {"email": data["email"], "password": password or data["password"]}, client_ip=ip)


def wrong_code(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- registration and codes --------------------------------------------------------------------------------


def test_registration_is_pending_and_sends_a_six_digit_code_by_email_and_sms(identity, citizen):
    with entrypoint_waiter(identity.listener, "on_otp", timeout=10, callback=lambda *_: len(OtpListener.received) >= 2):
        result = call(identity, "register", citizen, client_ip=IP)
    assert result["status"] == "pending_verification"
    assert uuid.UUID(result["user_id"])
    by_channel = {e["data"]["channel"]: e["data"] for e in OtpListener.received}
    assert set(by_channel) == {"email", "sms"}
    data = by_channel["email"]
    assert data["user_id"] == result["user_id"] and data["purpose"] == "verify"
    assert len(data["otp"]) == 6 and data["otp"].isdigit() and data["expires_at"]
    assert by_channel["sms"]["otp"] == data["otp"]
    with pytest.raises(AccountNotVerified):
        login(identity, citizen)


def test_one_account_per_nik_and_per_email(identity, citizen):
    register_and_get_code(identity, citizen)
    with pytest.raises(AlreadyRegistered):
        call(identity, "register", {**citizen, "email": "other@example.co.id"})
    with pytest.raises(AlreadyRegistered):
        call(identity, "register", {**citizen, "email": citizen["email"].upper(), "nik": citizen["nik"][:-1] + "9"})


def test_a_retried_registration_with_its_idempotency_key_gets_the_first_answer(identity, citizen, db):
    first = call(identity, "register", citizen, idempotency_key="k-1")
    assert call(identity, "register", citizen, idempotency_key="k-1") == first
    with pytest.raises(IdempotencyKeyReused):
        call(identity, "register", {**citizen, "full_name": "Someone Else"}, idempotency_key="k-1")
    with pytest.raises(AlreadyRegistered):
        call(identity, "register", citizen, idempotency_key="k-2")
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account WHERE role = 'citizen'")).scalar() == 1


def test_bad_input_is_rejected_and_nothing_is_written(identity, citizen, db):
    cases = {
        "nik": {**citizen, "nik": "9971015403900001"},
        "birth_date": {**citizen, "birth_date": "2099-01-01"},
        "email": {**citizen, "email": "not-an-email"},
        "phone": {**citizen, "phone": "12"},
        "password": {**citizen, "password": "password1234"},
    }
    for field, data in cases.items():
        with pytest.raises(ValidationError) as exc:
            call(identity, "register", data)
        assert field in exc.value.errors, field
    mismatched = {**citizen, "birth_date": "1990-03-15"}
    with pytest.raises(ValidationError):
        call(identity, "register", mismatched)
    with pytest.raises(ValidationError):
        call(identity, "register", {**citizen, "role": "admin"})  # unknown fields are rejected
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account WHERE role = 'citizen'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0


def test_the_right_code_activates_and_a_retry_with_it_gets_the_same_answer(identity, citizen):
    result, code = register_and_get_code(identity, citizen)
    verified = call(identity, "verify", {"email": citizen["email"], "otp": code})
    assert verified == {"user_id": result["user_id"], "status": "active"}
    assert call(identity, "verify", {"email": citizen["email"], "otp": code}) == verified
    with pytest.raises(OtpInvalid):
        call(identity, "verify", {"email": citizen["email"], "otp": wrong_code(code)})


def test_five_wrong_codes_burn_the_code_even_the_right_one_fails_after(identity, citizen):
    _, code = register_and_get_code(identity, citizen)
    for _ in range(4):
        with pytest.raises(OtpInvalid):
            call(identity, "verify", {"email": citizen["email"], "otp": wrong_code(code)})
    with pytest.raises(OtpAttemptsExceeded):
        call(identity, "verify", {"email": citizen["email"], "otp": wrong_code(code)})
    with pytest.raises(OtpAttemptsExceeded):
        call(identity, "verify", {"email": citizen["email"], "otp": code})


def test_the_code_leaves_sealed_for_notification_and_is_never_written_in_the_clear(identity, citizen, db):
    """Issue 17: identity's outbox, every other table and the WAL behind them (replicas, backups) never hold
    the code; the event carries it sealed for notification alone (identity holds only the public key)."""
    from antre_common.testing import wal_position, wal_since

    with db.connect() as conn:
        start = wal_position(conn)
    _, code = register_and_get_code(identity, citizen)
    wait_until(lambda: outbox_published(db), what="the outbox relay")
    with db.connect() as conn:
        payloads = (
            conn.execute(text("SELECT payload::text FROM outbox WHERE event_type = 'otp_requested'")).scalars().all()
        )
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        rows = [conn.execute(text(f'SELECT t::text FROM "{t}" t')).scalars().all() for t in tables]  # noqa: S608
        wal = wal_since(conn, start)
    assert len(payloads) == 2 and all('"otp_sealed"' in p and '"otp"' not in p for p in payloads)
    assert not [r for table in rows for r in table if code in r]
    assert json.loads(payloads[0])["data"]["otp_sealed"].encode() in wal  # the WAL read does see the outbox rows
    assert code.encode() not in wal


def outbox_published(db):
    with db.connect() as conn:
        return not conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()


def test_an_expired_code_is_refused(identity, citizen, db):
    _, code = register_and_get_code(identity, citizen)
    with db.begin() as conn:
        conn.execute(text("UPDATE one_time_code SET expires_at = now() - interval '1 second'"))
    with pytest.raises(OtpExpired):
        call(identity, "verify", {"email": citizen["email"], "otp": code})


def codes(db):
    with db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM one_time_code")).scalar()


def test_a_new_code_replaces_the_old_one_and_a_resend_too_soon_is_quietly_not_sent(identity, citizen, db):
    _, first = register_and_get_code(identity, citizen)
    # Too soon: the same quiet answer as for any email (a 429 here told that a pending account exists).
    assert call(identity, "request_otp", citizen["email"]) is None
    assert codes(db) == 1
    with db.begin() as conn:  # a minute later
        conn.execute(text("UPDATE one_time_code SET created_at = created_at - interval '61 seconds'"))
    OtpListener.received.clear()
    with entrypoint_waiter(identity.listener, "on_otp", timeout=10):
        call(identity, "request_otp", citizen["email"])
    second = OtpListener.received[0]["data"]["otp"]
    if second != first:  # one in a million they are equal
        with pytest.raises(OtpInvalid):
            call(identity, "verify", {"email": citizen["email"], "otp": first})
    assert call(identity, "verify", {"email": citizen["email"], "otp": second})["status"] == "active"
    assert call(identity, "request_otp", "nobody@example.co.id") is None  # unknown: the same quiet answer


def test_code_requests_are_rate_limited_the_same_for_pending_active_and_unknown_emails(identity, citizen):
    register_and_get_code(identity, citizen)
    for n, email in enumerate((citizen["email"], "nobody@example.id")):
        answers = []
        for _ in range(6):
            try:
                answers.append(call(identity, "request_otp", email, client_ip=f"192.0.2.{n}"))
            except RateLimited as exc:
                answers.append(("RATE_LIMITED", exc.params["retry_after"] > 0))
        assert answers == [None] * 5 + [("RATE_LIMITED", True)], email


# -- login, lockout, tokens --------------------------------------------------------------------------------


def test_login_gives_a_token_the_gateway_can_verify_with_the_public_key(identity, citizen, identity_keys):
    user_id = active_citizen(identity, citizen)
    tokens = login(identity, citizen)
    assert tokens["token_type"] == "Bearer"  # noqa: S105
    assert tokens["expires_in"] == 900
    public = load_pem_public_key(identity_keys["JWT_PUBLIC_KEY"].encode())
    claims = jwt.decode(tokens["access_token"], public, algorithms=["EdDSA"], audience="antre", issuer="antre-identity")
    assert claims["sub"] == user_id and claims["role"] == "citizen" and claims["typ"] == "access"
    person_ref = call(identity, "get_user", user_id, caller="notification")["person_ref"]
    assert claims["pref"] == person_ref and len(claims["pref"]) == 32
    assert "office" not in claims


def failed_logins_counted():
    return REGISTRY.get_sample_value("antre_identity_logins_total", {"outcome": "failed"}) or 0


def test_a_wrong_email_and_a_wrong_password_get_the_same_answer(identity, citizen):
    active_citizen(identity, citizen)
    counted = failed_logins_counted()
    with pytest.raises(InvalidCredentials) as wrong_password:
        login(identity, citizen, WRONG)
    with pytest.raises(InvalidCredentials) as wrong_email:
        login(identity, {**citizen, "email": "nobody@example.co.id"})
    assert str(wrong_password.value) == str(wrong_email.value)
    assert failed_logins_counted() == counted + 2  # and both show on /metrics


def test_five_failures_lock_the_account_even_for_the_right_password(identity, citizen, db):
    active_citizen(identity, citizen)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(identity, citizen, WRONG)
    with pytest.raises(LoginLocked) as exc:
        login(identity, citizen, WRONG)
    assert 60 < exc.value.params["retry_after"] <= 15 * 60 + 1
    with pytest.raises(LoginLocked):
        login(identity, citizen, ip="198.51.100.1")  # the account is locked, from anywhere
    with db.begin() as conn:  # fifteen minutes later
        conn.execute(text("UPDATE login_throttle SET locked_until = now() - interval '1 second'"))
    assert login(identity, citizen)["access_token"]


def test_parallel_guesses_cannot_overshoot_the_limit(identity, citizen, db):
    """Attempts are counted before the (slow) hash, so a burst of guesses gets at most five verdicts."""
    active_citizen(identity, citizen)
    pool = eventlet.GreenPool()

    def guess(i):
        try:
            login(identity, citizen, WRONG, ip=f"198.51.100.{i + 1}")
        except (InvalidCredentials, LoginLocked) as exc:
            return type(exc).__name__

    answers = list(pool.imap(guess, range(12)))
    assert answers.count("InvalidCredentials") <= 4
    assert answers.count("LoginLocked") >= 8
    with db.connect() as conn:
        checked = conn.execute(text("SELECT count(*) FROM audit_log WHERE event = 'login' AND outcome = 'failed'"))
        assert checked.scalar() <= 5  # passwords actually verified


def test_a_success_resets_the_account_count(identity, citizen):
    active_citizen(identity, citizen)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(identity, citizen, WRONG)
    login(identity, citizen)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            login(identity, citizen, WRONG)


def test_one_address_trying_many_accounts_is_locked(identity, citizen):
    active_citizen(identity, citizen)
    attacker = "192.0.2.66"
    guesses = [{"email": f"guess{i}@example.co.id", "password": "a guessed password"} for i in range(20)]
    for guess in guesses[:19]:
        with pytest.raises(InvalidCredentials):
            login(identity, guess, ip=attacker)
    with pytest.raises(LoginLocked):
        login(identity, guesses[19], ip=attacker)  # the twentieth failure locks the address
    with pytest.raises(LoginLocked):
        login(identity, citizen, ip=attacker)  # even the right password, from there
    assert login(identity, citizen, ip="192.0.2.67")["access_token"]  # others are not affected


def test_refresh_rotates_and_a_reused_token_revokes_the_family(identity, citizen):
    active_citizen(identity, citizen)
    first = login(identity, citizen)
    second = call(identity, "refresh", first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"]
    third = call(identity, "refresh", second["refresh_token"])
    with pytest.raises(RefreshTokenReused):
        call(identity, "refresh", first["refresh_token"])  # a thief replays the first one
    with pytest.raises(RefreshTokenInvalid):
        call(identity, "refresh", third["refresh_token"])  # the whole family is gone
    other_session = login(identity, citizen)
    assert call(identity, "refresh", other_session["refresh_token"])["access_token"]  # other logins live on
    with pytest.raises(RefreshTokenInvalid):
        call(identity, "refresh", "made-up-token")


def test_logout_revokes_the_session(identity, citizen):
    active_citizen(identity, citizen)
    tokens = login(identity, citizen)
    call(identity, "logout", tokens["refresh_token"])
    with pytest.raises(RefreshTokenInvalid):
        call(identity, "refresh", tokens["refresh_token"])
    call(identity, "logout", tokens["refresh_token"])  # again: still fine
    call(identity, "logout", "made-up-token")


# -- staff, reads, audit ----------------------------------------------------------------------------------


def test_the_first_admin_is_made_at_start_and_makes_staff(identity, identity_config, sign_in_staff):
    wait_first_admin(identity)
    tokens, _ = sign_in_staff(
        identity,
        identity_config["ANTRE_ADMIN_EMAIL"],
        identity_config["ANTRE_ADMIN_PASSWORD"],
        identity_config["ANTRE_ADMIN_TOTP_SECRET"],  # enrolled from the start (ANTRE_ADMIN_TOTP_SECRET)
    )
    admin = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert admin["role"] == "admin" and "office" not in admin
    staff = {
        "email": "budi@imigrasi.go.id",
        "full_name": "Budi Santoso",
        "password": "antrean pagi jakarta",
        "role": "officer",
        "office_code": "JKT01",
    }
    made = call(identity, "create_staff", staff, admin["sub"], client_ip=IP)
    assert (made["role"], made["office_code"], made["status"]) == ("officer", "JKT01", "active")
    officer_tokens, _ = sign_in_staff(identity, staff["email"], staff["password"])
    officer = jwt.decode(officer_tokens["access_token"], options={"verify_signature": False})
    assert (officer["role"], officer["office"]) == ("officer", "JKT01")
    with pytest.raises(Forbidden):  # an officer is no admin, whatever the caller claims
        call(identity, "create_staff", {**staff, "email": "x@imigrasi.go.id"}, officer["sub"])
    with pytest.raises(ValidationError):
        call(identity, "create_staff", {**staff, "email": "y@imigrasi.go.id", "office_code": None}, admin["sub"])
    with pytest.raises(AlreadyRegistered):
        call(identity, "create_staff", staff, admin["sub"])
    other = {**staff, "email": "ani@imigrasi.go.id", "role": "supervisor"}
    made_once = call(identity, "create_staff", other, admin["sub"], idempotency_key="s-1")
    assert call(identity, "create_staff", other, admin["sub"], idempotency_key="s-1") == made_once
    assert made_once["email"] == "ani@imigrasi.go.id"


def wait_first_admin(container):
    provider = next(d for d in container.dependencies if d.attr_name == "first_admin")
    wait_until(lambda: provider.done or provider.error, 10, what="the first admin")
    assert provider.done, f"first admin not made: {provider.error}"


def test_a_restart_does_not_make_a_second_admin(container_factory, identity_config, db):
    for _ in range(2):
        container = container_factory(IdentityService, identity_config)
        container.start()
        wait_first_admin(container)
        container.stop()
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account WHERE role = 'admin'")).scalar() == 1


def test_get_contact_and_get_user_for_other_services(identity, citizen):
    user_id = active_citizen(identity, {**citizen, "language": "en"})
    contact = call(identity, "get_contact", user_id, caller="notification")
    assert contact == {
        "user_id": user_id,
        "full_name": "Siti Rahmawati",
        "email": "siti.rahma@example.co.id",
        "phone": "+6281234567890",
        "nik_masked": citizen["nik"][:4] + "**" + citizen["nik"][6:8] + "****" + citizen["nik"][-4:],
        "language": "en",
    }
    user = call(identity, "get_user", user_id, caller="notification")
    assert {k: user[k] for k in ("role", "office_code", "status")} == {
        "role": "citizen",
        "office_code": None,
        "status": "active",
    }
    with pytest.raises(NotFound):
        call(identity, "get_user", str(uuid.uuid4()), caller="notification")
    with pytest.raises(ValidationError):
        call(identity, "get_contact", "not-a-uuid", caller="notification")


def test_contact_and_profile_answer_only_the_services_that_need_them(identity, identity_config, citizen):
    """Finding 1 of issue 17: the contact lookup answered anyone on the bus. A caller is known only from the
    broker-validated ``user_id`` of its request (antre_common.auth), never from what its headers say."""
    user_id = active_citizen(identity, citizen)
    me = token(identity, user_id)
    for method, allowed in (("get_contact", "notification"), ("people", "scheduling"), ("get_profile", "gateway")):
        arg = [user_id] if method == "people" else user_id
        assert call(identity, method, arg, context={CALLER_KEY: allowed, ACCESS_TOKEN_KEY: me})
        for stranger in (None, "guest", "documents", "payment"):
            if stranger != allowed:
                with pytest.raises(CallerNotAllowed):
                    call(identity, method, arg, context={CALLER_KEY: stranger, ACCESS_TOKEN_KEY: me})
    # On the bus itself: a header that claims to be notification is dropped; the test's broker login is
    # "guest", no service of the suite.
    with ClusterRpcProxy(identity_config, context_data={CALLER_KEY: "notification"}) as cluster:
        with pytest.raises(RemoteError) as refused:
            cluster.identity.get_contact(user_id)
    assert refused.value.exc_type == "CallerNotAllowed"
    assert '"code": "FORBIDDEN"' in refused.value.value and "siti" not in refused.value.value.lower()


def test_a_user_id_argument_is_no_authority_the_token_is(identity, citizen):
    """``user_id``/``actor_id`` arguments must be the person of the verified access token the gateway forwards."""
    user_id = active_citizen(identity, citizen)
    other = str(uuid.uuid4())
    for method in ("get_profile", "family", "dependents"):
        with pytest.raises(NotThePerson):  # another citizen's valid token
            call(identity, method, user_id, context={CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: token(identity, other)})
        with pytest.raises(Unauthenticated):  # no token: the caller's word alone
            call(identity, method, user_id, caller="gateway")
        with pytest.raises(TokenExpired):
            expired = token(identity, user_id, ttl=-60)
            call(identity, method, user_id, context={CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: expired})
    staff = {"email": "eko@imigrasi.go.id", "full_name": "Eko Prasetyo", "password": "antrean sore surabaya",
             "role": "officer", "office_code": "SBY01"}  # fmt: skip
    # a citizen naming themself as the actor; an admin's token naming someone else as the actor
    for actor_token in (token(identity, user_id), token(identity, other, role="admin")):
        context = {CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: actor_token}
        with pytest.raises(NotThePerson):
            call(identity, "create_staff", staff, user_id, context=context)
    with pytest.raises(NotThePerson):  # the audit log is the admins'
        call(identity, "audit_log", {}, context={CALLER_KEY: "gateway", ACCESS_TOKEN_KEY: token(identity, user_id)})


def test_the_audit_log_records_security_events_without_secrets(identity, citizen):
    user_id = active_citizen(identity, citizen)
    with pytest.raises(InvalidCredentials):
        login(identity, citizen, WRONG)
    tokens = login(identity, citizen)
    call(identity, "refresh", tokens["refresh_token"])
    with pytest.raises(RefreshTokenReused):
        call(identity, "refresh", tokens["refresh_token"])
    entries = call(identity, "audit_log", {"user_id": user_id})
    seen = [(e["event"], e["outcome"]) for e in reversed(entries)]
    assert seen == [
        ("registered", "ok"),
        ("verified", "ok"),
        ("login", "failed"),
        ("login", "ok"),
        ("token_reuse", "revoked"),
    ]
    assert all(e["client_ip"] == IP for e in entries[1:] if e["event"] != "token_reuse")
    dumped = json.dumps(entries)
    for secret in (citizen["password"], citizen["nik"], citizen["email"], tokens["refresh_token"]):
        assert secret not in dumped
    assert [e["event"] for e in call(identity, "audit_log", {"event": "verified", "limit": 1})] == ["verified"]


# -- personal data at rest and in logs --------------------------------------------------------------------


def test_no_personal_data_in_plain_text_in_any_table(identity, identity_config, citizen, db, sign_in_staff):
    wait_first_admin(identity)
    admin, admin_secret = sign_in_staff(
        identity,
        identity_config["ANTRE_ADMIN_EMAIL"],
        identity_config["ANTRE_ADMIN_PASSWORD"],
        identity_config["ANTRE_ADMIN_TOTP_SECRET"],
    )
    admin_id = jwt.decode(admin["access_token"], options={"verify_signature": False})["sub"]
    staff = {
        "email": "rudi.hartono@imigrasi.go.id",
        "full_name": "Rudi Hartono",
        "password": "loket nomor tujuh belas",
        "role": "officer",
        "office_code": "JKS",
    }
    call(identity, "create_staff", staff, admin_id, idempotency_key="staff-1")
    _, staff_secret = sign_in_staff(identity, staff["email"], staff["password"])  # enrols an authenticator
    challenge = login(identity, staff)["challenge_token"]
    _, code = register_and_get_code(identity, citizen, idempotency_key="register-1")
    call(identity, "verify", {"email": citizen["email"], "otp": code})
    tokens = login(identity, citizen)
    with entrypoint_hook(identity, "housekeeping") as housekeeping:
        housekeeping()  # the published code leaves the outbox
    needles = {
        "nik": citizen["nik"],
        "name": "Rahmawati",
        "email": "siti.rahma",
        "phone": "81234567890",
        "birth date": "1990-03-14",
        "password": citizen["password"],
        "code": code,
        "refresh token": tokens["refresh_token"],
        "staff email": "rudi.hartono",
        "staff name": "Hartono",
        "admin's authenticator secret": admin_secret,
        "staff's authenticator secret": staff_secret,
        "login challenge": challenge,
    }
    with db.connect() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        dump = {t: conn.execute(text(f'SELECT t::text FROM "{t}" t')).scalars().all() for t in tables}  # noqa: S608
    assert dump["user_account"] and dump["outbox"] and dump["idempotency_record"]  # something to look at
    for table, rows in dump.items():
        for row in rows:
            for what, value in needles.items():
                assert value.lower() not in row.lower(), f"{what} in {table}"


def test_logs_of_register_verify_login_hold_no_password_code_or_nik(identity, citizen, caplog):
    caplog.set_level(logging.DEBUG)
    _, code = register_and_get_code(identity, citizen)
    call(identity, "verify", {"email": citizen["email"], "otp": code})
    with pytest.raises(InvalidCredentials):
        login(identity, citizen, WRONG)
    tokens = login(identity, citizen)
    formatter = JsonFormatter()
    text_of_logs = "\n".join(formatter.format(r) for r in caplog.records)
    assert "citizen registered" in text_of_logs  # the run was logged at all
    for secret in (citizen["password"], WRONG, code, citizen["nik"], tokens["refresh_token"]):
        assert secret not in text_of_logs


def test_after_a_key_rotation_housekeeping_reseals_and_the_old_key_can_go(
    container_factory, identity, identity_config, citizen, db
):
    user_id = active_citizen(identity, citizen)
    before = call(identity, "get_contact", user_id, caller="notification")
    identity.stop()
    new_key = "k9:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    rotated = container_factory(
        IdentityService, {**identity_config, "DATA_KEYS": f"{new_key},{identity_config['DATA_KEYS']}"}
    )
    rotated.start()
    call(rotated, "housekeeping")
    with db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT email_enc, nik_enc, full_name_enc, birth_date_enc, phone_enc FROM user_account WHERE id = :id"
            ),
            {"id": user_id},
        ).one()
    assert all(value.startswith("k9:") for value in row)
    rotated.stop()
    only_new = container_factory(IdentityService, {**identity_config, "DATA_KEYS": new_key})
    only_new.start()
    assert call(only_new, "get_contact", user_id, caller="notification") == before
