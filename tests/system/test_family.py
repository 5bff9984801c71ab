"""The population registry check, family members and password reset through the gateway, with the suite (and
the development registry) as processes: a resident registers, a wrong birth date or name fails, a pending
account expires and its NIK registers again, a parent books for a child, a reset ends the old sessions."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from antre_common.testing import wait_until
from antre_dev.mailbox import text_of
from antre_dev.registry import add_resident

from .people import PASSWORD, code_from_mail, new_family_member, new_person

OFFICE, SERVICE = "MKS", "paspor_baru"  # no other system test books here


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def register_verify_login(gateway, mailbox, person):
    registered = gateway.post("/api/v1/auth/register", json=person)
    assert registered.status_code == 201, registered.text
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD})
    assert login.status_code == 200, login.text
    return login.json()


def slots(gateway, n):
    found = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    later = datetime.now(UTC) + timedelta(hours=30)
    return [s for s in found if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0][:n]


def test_a_resident_registers_and_a_wrong_birth_date_name_or_invented_nik_does_not(gateway):
    person = new_person()
    # A birth date the registry holds otherwise (its NIK digits agree with what is typed): the registry decides.
    other = {
        "nik": f"327301{date(1970, 5, 6):%d%m%y}{uuid.uuid4().int % 9000 + 1000:04d}",
        "full_name": "Joko Santoso",
        "birth_date": "1970-05-06",
    }
    add_resident({**other, "birth_date": "1970-05-07"})
    later = gateway.post(
        "/api/v1/auth/register", json={**person, **other, "email": f"joko.{uuid.uuid4().hex[:8]}@example.id"}
    )
    assert (later.status_code, later.json()["code"]) == (422, "NIK_NOT_VERIFIED")
    wrong_day = gateway.post("/api/v1/auth/register", json={**person, "birth_date": "1988-11-03"})
    assert (wrong_day.status_code, wrong_day.json()["code"]) == (400, "VALIDATION_ERROR")  # not the NIK's date
    wrong_name = gateway.post("/api/v1/auth/register", json={**person, "full_name": "Ayu Kartika Sari"})
    assert (wrong_name.status_code, wrong_name.json()["code"]) == (422, "NIK_NOT_VERIFIED")
    assert "Dukcapil" in wrong_name.json()["detail"]
    invented = gateway.post("/api/v1/auth/register", json={**person, "nik": person["nik"][:-4] + "9999"})
    assert invented.json()["code"] == "NIK_NOT_VERIFIED"  # valid shape and region, nobody's
    # As the registry compares names: case, spacing and punctuation do not count.
    written = gateway.post("/api/v1/auth/register", json={**person, "full_name": " AYU  kartika. "})
    assert (written.status_code, written.json()["status"]) == (201, "pending_verification"), written.text


def test_a_pending_account_expires_and_the_nik_registers_again(stack, gateway, mailbox):
    person = new_person()  # a stranger registers someone's NIK with their own email, and never verifies
    squatted = gateway.post("/api/v1/auth/register", json={**person, "email": f"broker.{uuid.uuid4().hex[:8]}@x.id"})
    assert squatted.status_code == 201
    blocked = gateway.post("/api/v1/auth/register", json=person)
    assert (blocked.status_code, blocked.json()["code"]) == (409, "ALREADY_REGISTERED")
    # A replica whose pending accounts live one second and whose housekeeping runs twice a second (the real
    # setting is a day): its timer deletes the stranger's account.
    stack.start_service("identity", replica="expiry", env={"PENDING_ACCOUNT_TTL_SECONDS": "1",
                                                            "HOUSEKEEPING_SECONDS": "0.5"})  # fmt: skip
    try:
        registered = wait_until(
            lambda: (r := gateway.post("/api/v1/auth/register", json=person)).status_code == 201 and r,
            timeout=60,
            what="the NIK free again",
        )
    finally:
        stack.stop_process("identity-expiry")
    assert registered.json()["user_id"] != squatted.json()["user_id"]
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200


def test_a_parent_books_for_a_child_who_cannot_hold_a_second_booking(gateway, mailbox):
    parent = new_person(female=False, full_name="Bayu Pratama", birth=date(1981, 4, 9))
    child = new_family_member(parent, "Dimas Pratama", date(2016, 8, 21))
    parent_token = register_verify_login(gateway, mailbox, parent)["access_token"]
    other = new_person(full_name="Wulan Sari", birth=date(1985, 1, 30))
    other_token = register_verify_login(gateway, mailbox, other)["access_token"]

    family = gateway.get("/api/v1/me/family", headers=bearer(parent_token))
    assert family.status_code == 200, family.text
    [member] = family.json()
    assert (member["full_name"], member["relationship"], member["has_account"]) == ("Dimas Pratama", "child", False)
    assert member["nik_masked"] != child["nik"]
    not_mine = gateway.post("/api/v1/me/dependents", json={"nik": child["nik"]}, headers=bearer(other_token))
    assert (not_mine.status_code, not_mine.json()["code"]) == (422, "NOT_ON_FAMILY_CARD")
    added = gateway.post("/api/v1/me/dependents", json={"nik": child["nik"]}, headers=bearer(parent_token))
    assert added.status_code == 201, added.text
    child_id = added.json()["person_id"]
    assert gateway.get("/api/v1/me/dependents", headers=bearer(parent_token)).json() == [added.json()]

    first, second = slots(gateway, 2)
    booking = {"slot_id": first["slot_id"], "service_code": SERVICE, "person_id": child_id}
    someone_elses = gateway.post("/api/v1/bookings", json=booking, headers=bearer(other_token))
    assert (someone_elses.status_code, someone_elses.json()["code"]) == (404, "PERSON_NOT_FOUND")
    made = gateway.post("/api/v1/bookings", json=booking, headers=bearer(parent_token))
    assert made.status_code == 201, made.text
    assert made.json()["person_id"] == child_id
    mine = gateway.post("/api/v1/bookings", json={**booking, "person_id": None}, headers=bearer(parent_token))
    assert mine.status_code == 201, mine.text  # the parent's own: another person

    listed = gateway.get("/api/v1/bookings", headers=bearer(parent_token)).json()
    assert {(b["reservation_code"], b["person_id"]) for b in listed} >= {
        (made.json()["reservation_code"], child_id),
        (mine.json()["reservation_code"], mine.json()["person_id"]),
    }
    again = gateway.post(
        "/api/v1/bookings", json={**booking, "slot_id": second["slot_id"]}, headers=bearer(parent_token)
    )
    assert (again.status_code, again.json()["code"]) == (409, "ALREADY_BOOKED")
    # The confirmation of the child's booking went to the parent.
    code = made.json()["reservation_code"]
    mailbox.wait_for(lambda m: m["To"] == parent["email"] and code in m["Subject"], timeout=60)


def test_password_reset_ends_the_old_sessions_and_never_says_whether_an_account_exists(gateway, mailbox):
    person = new_person()
    old = register_verify_login(gateway, mailbox, person)
    for email in (person["email"], f"nobody.{uuid.uuid4().hex[:8]}@example.id"):
        asked = gateway.post("/api/v1/auth/password-reset", json={"email": email})
        assert (asked.status_code, asked.json()) == (202, {"status": "accepted"})
    [mail] = mailbox.wait_for(lambda m: m["To"] == person["email"] and "atur ulang" in m["Subject"], timeout=30)
    otp = re.search(r"\b(\d{6})\b", text_of(mail)).group(1)
    new = "rendang padang tiga porsi"
    wrong = gateway.post(
        "/api/v1/auth/password-reset/confirm",
        json={"email": person["email"], "otp": f"{(int(otp) + 1) % 10**6:06d}", "new_password": new},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "OTP_INVALID")
    done = gateway.post(
        "/api/v1/auth/password-reset/confirm", json={"email": person["email"], "otp": otp, "new_password": new}
    )
    assert done.status_code == 204, done.text
    refreshed = gateway.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert (refreshed.status_code, refreshed.json()["code"]) == (401, "REFRESH_TOKEN_INVALID")
    assert gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": PASSWORD}).status_code == 401
    assert gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": new}).status_code == 200
    used = gateway.post(
        "/api/v1/auth/password-reset/confirm", json={"email": person["email"], "otp": otp, "new_password": new}
    )
    assert (used.status_code, used.json()["code"]) == (400, "OTP_USED")


def test_a_dependent_who_registers_takes_over_their_upcoming_booking_and_the_holder_is_told(gateway, mailbox):
    holder = new_person(full_name="Rina Lestari", birth=date(1986, 6, 12))
    mother = new_family_member(holder, "Sri Lestari", date(1952, 3, 5), relationship="parent", female=True)
    holder_token = register_verify_login(gateway, mailbox, holder)["access_token"]
    added = gateway.post("/api/v1/me/dependents", json={"nik": mother["nik"]}, headers=bearer(holder_token))
    assert added.status_code == 201, added.text
    mother_id = added.json()["person_id"]
    [slot] = slots(gateway, 1)
    booking = {"slot_id": slot["slot_id"], "service_code": SERVICE, "person_id": mother_id}
    made = gateway.post("/api/v1/bookings", json=booking, headers=bearer(holder_token))
    assert made.status_code == 201, made.text
    code = made.json()["reservation_code"]

    account = {**mother, "email": f"sri.{uuid.uuid4().hex[:8]}@example.id", "phone": "0812-7777-8888",
               "password": PASSWORD}  # fmt: skip
    mother_token = register_verify_login(gateway, mailbox, account)["access_token"]
    me = gateway.get("/api/v1/me", headers=bearer(mother_token)).json()
    assert me["user_id"] == mother_id  # her account took her person_id

    def moved():
        return [b["reservation_code"] for b in gateway.get("/api/v1/bookings", headers=bearer(mother_token)).json()]

    assert wait_until(moved, timeout=60, what="the booking in her own list") == [code]
    assert code not in [
        b["reservation_code"] for b in gateway.get("/api/v1/bookings", headers=bearer(holder_token)).json()
    ]
    assert gateway.get("/api/v1/me/dependents", headers=bearer(holder_token)).json() == []

    # Her documents are hers now: documents followed the booking to her account.
    def hers():
        return gateway.get(f"/api/v1/bookings/{code}/documents", headers=bearer(mother_token)).status_code == 200

    wait_until(hers, timeout=60, what="the booking's documents for her")
    mailbox.wait_for(
        lambda m: m["To"] == holder["email"] and m["X-Antre-Message-Type"] == "dependent_registered", timeout=60
    )


def test_an_admin_disables_a_staff_account_and_its_sessions_end(stack, gateway, mailbox):
    from .people import admin_access_token, staff_sign_in

    admin = bearer(admin_access_token(stack, gateway))
    officer = {"email": f"petugas.{uuid.uuid4().hex[:8]}@imigrasi.go.id", "full_name": "Hadi Susilo",
               "password": "antrean sore makassar", "role": "officer", "office_code": OFFICE}  # fmt: skip
    made = gateway.post("/api/v1/admin/staff", json=officer, headers=admin)
    assert made.status_code == 201, made.text
    session, _ = staff_sign_in(gateway, officer["email"], officer["password"])
    by_officer = gateway.post(
        f"/api/v1/admin/staff/{made.json()['user_id']}/disable", headers=bearer(session["access_token"])
    )
    assert by_officer.status_code == 403
    unknown = gateway.post(f"/api/v1/admin/staff/{uuid.uuid4()}/disable", headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
    disabled = gateway.post(f"/api/v1/admin/staff/{made.json()['user_id']}/disable", headers=admin)
    assert (disabled.status_code, disabled.json()["status"]) == (200, "disabled"), disabled.text
    refreshed = gateway.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401
    login = gateway.post("/api/v1/auth/login", json={"email": officer["email"], "password": officer["password"]})
    assert (login.status_code, login.json()["code"]) == (403, "ACCOUNT_DISABLED")
