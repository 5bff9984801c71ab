"""identity against the development population registry as a real process (and with it stopped), on real
RabbitMQ and PostgreSQL: registry check, pending accounts that expire, dependents, the person lookup,
password reset and disabling staff."""

import uuid
from datetime import date

import pytest
from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from prometheus_client import REGISTRY
from sqlalchemy import text

from antre_common.testing import wait_until
from identity.exceptions import (
    AccountDisabled,
    AlreadyADependent,
    AlreadyRegistered,
    DependentHasAccount,
    Forbidden,
    NikNotVerified,
    NotFound,
    NotOnFamilyCard,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    OtpUsed,
    PersonNotFound,
    RefreshTokenInvalid,
    ServiceUnavailable,
    ValidationError,
)
from identity.service import IdentityService

from ..conftest import opened
from .gateway_calls import call

IP = "198.51.100.9"
PASSWORD = "teh manis hangat sore hari"  # noqa: S105 - test value


class Listener:
    """Stands in for notification and scheduling: what identity publishes, on the real exchange."""

    name = "identity_listener"
    received = []

    config = Config()

    @event_handler("identity", "otp_requested")
    def on_otp(self, envelope):
        Listener.received.append(opened(envelope, self.config))

    @event_handler("identity", "dependent_registered")
    def on_dependent_registered(self, envelope):
        Listener.received.append(envelope)


@pytest.fixture
def start_identity(container_factory, identity_config):
    def start(**overrides):
        Listener.received = []
        config = {**identity_config, **overrides}
        container_factory(Listener, config).start()
        container = container_factory(IdentityService, config)
        container.start()
        return container

    return start


@pytest.fixture
def identity(start_identity):
    return start_identity()


def codes(purpose, email_user_id=None):
    return [
        e["data"]["otp"]
        for e in Listener.received
        if e["type"] == "otp_requested" and e["data"]["purpose"] == purpose and e["data"]["channel"] == "email"
        and (email_user_id is None or e["data"]["user_id"] == email_user_id)
    ]  # fmt: skip


def nik(birth, female=False, region="327301"):
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth:%m}{birth.year % 100:02d}{uuid.uuid4().int % 9000 + 1000:04d}"


def resident(registry, full_name, birth, female=False, card=None, relationship="head"):
    person = {"nik": nik(birth, female), "full_name": full_name, "birth_date": birth.isoformat()}
    added = registry.add(person, relationship=relationship, **({"family_card_number": card} if card else {}))
    return {**person, "family_card_number": added["family_card_number"]}


def account(person):
    return {
        **{k: person[k] for k in ("nik", "full_name", "birth_date")},
        "email": f"{uuid.uuid4().hex[:10]}@example.id",
        "phone": f"0812{uuid.uuid4().int % 10**8:08d}",  # a phone of one's own (ACCOUNTS_PER_PHONE)
        "password": PASSWORD,
    }


def register_active(container, data):
    with entrypoint_waiter(container, "register"):  # the code event follows the commit
        user_id = call(container, "register", data, client_ip=IP)["user_id"]
    wait_until(lambda: codes("verify", user_id), timeout=10)
    call(container, "verify", {"email": data["email"], "otp": codes("verify", user_id)[-1]}, client_ip=IP)
    return user_id


def count(db, table):
    with db.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed table names


def citizens(db):
    with db.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM user_account WHERE role = 'citizen'"))


def metric(outcome):
    return REGISTRY.get_sample_value("antre_identity_registry_calls_total", {"outcome": outcome}) or 0


# -- the registry check ----------------------------------------------------------------------------------------


def test_a_resident_registers_with_the_name_written_as_the_registry_compares_it(identity, citizen):
    before = metric("match")
    result = call(identity, "register", {**citizen, "full_name": "  SITI   rahmawati. "}, client_ip=IP)
    assert result["status"] == "pending_verification"
    assert metric("match") == before + 1


def test_unknown_nik_wrong_name_or_registry_birth_date_is_not_verified_and_nothing_is_stored(
    identity, registry, citizen, db
):
    born = date(1984, 6, 2)
    invented = {**account({"nik": nik(born), "full_name": "Budi Broker", "birth_date": born.isoformat()})}
    with pytest.raises(NikNotVerified):
        call(identity, "register", invented, client_ip=IP)  # valid shape and region, but nobody's NIK
    with pytest.raises(NikNotVerified):
        call(identity, "register", {**citizen, "full_name": "Siti Rahmawati Putri"}, client_ip=IP)
    # The registry holds another birth date than the NIK's digits (corrected later): the registry decides.
    person = {"nik": nik(born), "full_name": "Agus Salim", "birth_date": born.isoformat()}
    registry.add({**person, "birth_date": "1984-06-03"})
    with pytest.raises(NikNotVerified):
        call(identity, "register", account(person), client_ip=IP)
    with pytest.raises(ValidationError):  # a birth date that is not the NIK's never reaches the registry
        call(identity, "register", {**citizen, "birth_date": "1990-03-15"}, client_ip=IP)
    assert citizens(db) == 0
    assert count(db, "outbox") == 0
    audit = call(identity, "audit_log", {"event": "registered"})
    assert [e["outcome"] for e in audit] == ["nik_not_verified"] * 3
    assert all(e["detail"] == {} and e["user_id"] is None for e in audit)  # no personal data


def test_registry_stopped_answers_503_stores_nothing_and_the_breaker_opens(start_identity, citizen, db):
    from antre_dev.registry import RegistryProcess
    from antre_dev.stack import free_port

    own = RegistryProcess(free_port(), families=2).start()
    try:
        own.add(citizen)
        identity = start_identity(
            REGISTRY_URL=own.url, REGISTRY_RETRIES="1", REGISTRY_BACKOFF_SECONDS="0.05",
            REGISTRY_BREAKER_FAILURES="2", REGISTRY_BREAKER_RESET_SECONDS="60",
        )  # fmt: skip
        other = {**citizen, "email": "other.siti@example.co.id"}
        assert call(identity, "register", citizen, client_ip=IP)["status"] == "pending_verification"
        with db.begin() as conn:
            conn.execute(text("DELETE FROM user_account WHERE role = 'citizen'"))
    finally:
        own.stop()
    before = {"unavailable": metric("unavailable"), "open": metric("open")}
    users, events = citizens(db), count(db, "outbox")
    for _ in range(3):
        with pytest.raises(ServiceUnavailable) as raised:
            call(identity, "register", other, client_ip=IP)
        assert raised.value.params["retry_after"] > 0
    assert (citizens(db), count(db, "outbox")) == (users, events)  # nothing half-done
    assert metric("unavailable") - before["unavailable"] >= 1
    assert metric("open") - before["open"] >= 1  # the third call did not wait for the dead registry


# -- pending accounts expire -------------------------------------------------------------------------------


def test_a_pending_account_expires_freeing_nik_and_email_and_the_audit_keeps_no_personal_data(
    start_identity, registry, citizen, db
):
    identity = start_identity(PENDING_ACCOUNT_TTL_SECONDS="0")
    stranger = call(identity, "register", citizen, client_ip=IP)["user_id"]
    active = register_active(identity, account(resident(registry, "Rina Wulandari", date(1979, 1, 8), True)))
    with entrypoint_waiter(identity, "housekeeping"):
        with entrypoint_hook(identity, "housekeeping") as run:
            run()
    with db.connect() as conn:
        ids = {str(r[0]) for r in conn.execute(text("SELECT id FROM user_account WHERE role = 'citizen'"))}
    assert ids == {active}  # the pending one went, the verified one stays
    with db.connect() as conn:  # notification forgets its messages (its verification code) on this event
        deleted = [r[0] for r in conn.execute(text(
            "SELECT payload->'data'->>'user_id' FROM outbox WHERE event_type = 'account_deleted'"))]  # fmt: skip
    assert deleted == [stranger]
    [entry] = call(identity, "audit_log", {"event": "pending_expired"})
    assert (entry["user_id"], entry["outcome"], entry["detail"]) == (stranger, "deleted", {})
    again = call(identity, "register", citizen, client_ip=IP)  # the NIK and the email are free again
    assert again["user_id"] != stranger


def test_a_pending_account_past_its_time_does_not_block_a_new_registration(start_identity, citizen):
    identity = start_identity(PENDING_ACCOUNT_TTL_SECONDS="3600")
    call(identity, "register", citizen, client_ip=IP)
    with pytest.raises(AlreadyRegistered):
        call(identity, "register", citizen, client_ip=IP)


# -- family members ----------------------------------------------------------------------------------------


@pytest.fixture
def family(identity, registry):
    """A card with a head (active account), a spouse (active account) and a child; another card's head."""
    head = resident(registry, "Hendra Saputra", date(1980, 2, 11))
    card = head["family_card_number"]
    spouse = resident(registry, "Ratna Saputra", date(1982, 7, 23), True, card, "spouse")
    child = resident(registry, "Putri Saputra", date(2015, 9, 30), True, card, "child")
    stranger = resident(registry, "Eko Nugroho", date(1975, 4, 4))
    ids = {name: register_active(identity, account(p)) for name, p in (("head", head), ("spouse", spouse),
                                                                          ("stranger", stranger))}  # fmt: skip
    return {"head": head, "spouse": spouse, "child": child, "stranger": stranger, "ids": ids}


def test_the_family_card_comes_from_the_registry_and_a_member_without_account_becomes_a_dependent(identity, family, db):
    head_id = family["ids"]["head"]
    members = {m["full_name"]: m for m in call(identity, "family", head_id)}
    assert set(members) == {"Ratna Saputra", "Putri Saputra"}
    assert members["Ratna Saputra"]["has_account"] and members["Ratna Saputra"]["person_id"] == family["ids"]["spouse"]
    child = members["Putri Saputra"]
    assert (child["has_account"], child["person_id"], child["relationship"]) == (False, None, "child")
    assert child["nik_masked"] != family["child"]["nik"] and "*" in child["nik_masked"]

    added = call(identity, "add_dependent", head_id, family["child"]["nik"], client_ip=IP)
    assert added["full_name"] == "Putri Saputra" and added["relationship"] == "child"
    assert call(identity, "add_dependent", head_id, family["child"]["nik"]) == added  # a retry: same answer
    assert call(identity, "dependents", head_id) == [added]
    assert {m["person_id"] for m in call(identity, "family", head_id)} == {family["ids"]["spouse"], added["person_id"]}

    with pytest.raises(AlreadyADependent):  # the other parent: one holder per person
        call(identity, "add_dependent", family["ids"]["spouse"], family["child"]["nik"])
    with pytest.raises(DependentHasAccount):
        call(identity, "add_dependent", head_id, family["spouse"]["nik"])
    with pytest.raises(NotOnFamilyCard):
        call(identity, "add_dependent", family["ids"]["stranger"], family["child"]["nik"])
    with pytest.raises(NotOnFamilyCard):
        call(identity, "add_dependent", head_id, family["head"]["nik"])

    # Booking for: oneself or one's own dependent; someone else's dependent is not found.
    me = call(identity, "person_for_booking", head_id, head_id)
    child_choice = call(identity, "person_for_booking", head_id, added["person_id"])
    assert child_choice["person_ref"] and child_choice["person_ref"] != me["person_ref"]
    with pytest.raises(PersonNotFound):
        call(identity, "person_for_booking", family["ids"]["spouse"], added["person_id"])

    people = call(identity, "people", [head_id, added["person_id"], str(uuid.uuid4())], caller="scheduling")
    assert set(people) == {head_id, added["person_id"]}
    assert people[added["person_id"]] == {
        "full_name": "Putri Saputra", "nik_masked": added["nik_masked"], "birth_date": "2015-09-30",
    }  # fmt: skip

    # Sealed like an account's data: no plain NIK, name or birth date in the table.
    with db.connect() as conn:
        row = " ".join(str(v) for v in conn.execute(text("SELECT * FROM dependent")).one())
    for plain in (family["child"]["nik"], "Putri", "2015-09-30"):
        assert plain not in row
    # Deleted with the holder's account.
    with db.begin() as conn:
        conn.execute(text("DELETE FROM user_account WHERE id = :id"), {"id": head_id})
    assert count(db, "dependent") == 0


def test_a_dependent_who_registers_takes_their_person_id_and_the_holder_is_told(identity, family):
    head_id = family["ids"]["head"]
    added = call(identity, "add_dependent", head_id, family["child"]["nik"], client_ip=IP)
    user_id = register_active(identity, account(family["child"]))
    assert user_id == added["person_id"]  # bookings made for her need no rewriting
    assert call(identity, "dependents", head_id) == []
    wait_until(lambda: any(e["type"] == "dependent_registered" for e in Listener.received), timeout=10)
    [event] = [e for e in Listener.received if e["type"] == "dependent_registered"]
    assert event["data"] == {"person_id": user_id, "holder_id": head_id}
    assert any(m["has_account"] and m["person_id"] == user_id for m in call(identity, "family", head_id))


def test_family_answers_503_while_the_registry_is_down(start_identity, family):
    identity = start_identity(REGISTRY_URL="http://127.0.0.1:9", REGISTRY_RETRIES="0")
    with pytest.raises(ServiceUnavailable):
        call(identity, "family", family["ids"]["head"])
    with pytest.raises(ServiceUnavailable):
        call(identity, "add_dependent", family["ids"]["head"], family["child"]["nik"])
    assert call(identity, "dependents", family["ids"]["head"]) == []


# -- password reset ------------------------------------------------------------------------------------------


def test_password_reset_sends_a_code_only_to_an_active_account_and_ends_every_session(identity, registry, citizen):
    user_id = register_active(identity, citizen)
    sessions = [call(identity, "login", {"email": citizen["email"], "password": citizen["password"]}) for _ in "ab"]
    pending = account(resident(registry, "Fajar Pratama", date(1993, 12, 1)))
    call(identity, "register", pending, client_ip=IP)
    for email in ("nobody@example.id", pending["email"], "not an email", citizen["email"].upper()):
        assert call(identity, "request_password_reset", email, client_ip=IP) is None  # one quiet answer
    wait_until(lambda: codes("reset"), timeout=10)
    [code] = codes("reset")
    assert [e["data"]["user_id"] for e in Listener.received if e["data"].get("purpose") == "reset"] == [user_id]

    new = "lontong sayur kuah santan"
    with pytest.raises(OtpInvalid):
        call(identity, "confirm_password_reset", {"email": citizen["email"], "otp": f"{(int(code) + 1) % 10**6:06d}",
                                                  "new_password": new})  # fmt: skip
    with pytest.raises(OtpInvalid):  # unknown email: as a wrong code
        call(identity, "confirm_password_reset", {"email": "nobody@example.id", "otp": code, "new_password": new})
    with pytest.raises(ValidationError):  # a weak password: the code stays usable
        call(
            identity, "confirm_password_reset", {"email": citizen["email"], "otp": code, "new_password": "password1234"}
        )
    call(
        identity, "confirm_password_reset", {"email": citizen["email"], "otp": code, "new_password": new}, client_ip=IP
    )
    for tokens in sessions:
        with pytest.raises(RefreshTokenInvalid):
            call(identity, "refresh", tokens["refresh_token"])
    assert call(identity, "login", {"email": citizen["email"], "password": new})["access_token"]
    with pytest.raises(OtpUsed):
        call(identity, "confirm_password_reset", {"email": citizen["email"], "otp": code, "new_password": new + "!"})
    outcomes = [e["outcome"] for e in call(identity, "audit_log", {"event": "password_reset"})]
    assert "ok" in outcomes and "code_sent" in outcomes


def test_reset_codes_expire_and_wrong_tries_are_limited(identity, citizen, db):
    register_active(identity, citizen)
    call(identity, "request_password_reset", citizen["email"])
    wait_until(lambda: codes("reset"), timeout=10)
    [code] = codes("reset")
    body = {"email": citizen["email"], "new_password": "lontong sayur kuah santan"}
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(OtpInvalid):
            call(identity, "confirm_password_reset", {**body, "otp": wrong})
    with pytest.raises(OtpAttemptsExceeded):
        call(identity, "confirm_password_reset", {**body, "otp": wrong})
    with pytest.raises(OtpAttemptsExceeded):  # burnt: even the right code
        call(identity, "confirm_password_reset", {**body, "otp": code})
    with db.begin() as conn:
        conn.execute(text("UPDATE one_time_code SET attempts = 0 WHERE purpose = 'reset'"))
        conn.execute(text("UPDATE one_time_code SET expires_at = now() - interval '1 second' WHERE purpose = 'reset'"))
    with pytest.raises(OtpExpired):
        call(identity, "confirm_password_reset", {**body, "otp": code})


def test_reset_requests_are_rate_limited_the_same_for_any_email(identity, citizen):
    from identity.exceptions import RateLimited

    register_active(identity, citizen)
    for email in (citizen["email"], "nobody@example.id"):
        for _ in range(5):
            call(identity, "request_password_reset", email, client_ip=f"192.0.2.{len(email)}")
        with pytest.raises(RateLimited) as raised:
            call(identity, "request_password_reset", email, client_ip=f"192.0.2.{len(email)}")
        assert raised.value.params["retry_after"] > 0


# -- disabling staff ---------------------------------------------------------------------------------------


def test_an_admin_disables_a_staff_account_which_cannot_log_in_and_whose_sessions_end(
    identity, identity_config, citizen, sign_in_staff
):
    provider = next(d for d in identity.dependencies if d.attr_name == "first_admin")
    wait_until(lambda: provider.done, 10, what="the first admin")
    admin_login = {"email": identity_config["ANTRE_ADMIN_EMAIL"], "password": identity_config["ANTRE_ADMIN_PASSWORD"]}
    admin_id = call(identity, "audit_log", {"event": "staff_created"})[0]["user_id"]
    staff = {"email": "dedi@imigrasi.go.id", "full_name": "Dedi Kurnia", "password": "antrean siang bandung",
             "role": "officer", "office_code": "BDG01"}  # fmt: skip
    officer_id = call(identity, "create_staff", staff, admin_id)["user_id"]
    session, _ = sign_in_staff(identity, staff["email"], staff["password"])
    citizen_id = register_active(identity, citizen)

    with pytest.raises(Forbidden):  # only an admin
        call(identity, "disable_staff", admin_id, officer_id)
    with pytest.raises(NotFound):  # a citizen is no staff account
        call(identity, "disable_staff", citizen_id, admin_id)
    with pytest.raises(Forbidden):
        call(identity, "disable_staff", admin_id, admin_id)
    done = call(identity, "disable_staff", officer_id, admin_id, client_ip=IP)
    assert done["status"] == "disabled"
    assert done["revoked"]["session_ids"]  # the gateway refuses the officer's access tokens at once
    again = call(identity, "disable_staff", officer_id, admin_id)  # twice: the same answer, nothing more ends
    assert again == {**done, "revoked": None}
    with pytest.raises(RefreshTokenInvalid):
        call(identity, "refresh", session["refresh_token"])
    with pytest.raises(AccountDisabled):
        call(identity, "login", {"email": staff["email"], "password": staff["password"]})
    assert call(identity, "login", admin_login)["challenge_token"]  # the admin still signs in
    [entry] = call(identity, "audit_log", {"event": "staff_disabled"})
    assert (entry["user_id"], entry["actor_id"]) == (officer_id, admin_id)
