"""People for system and browser tests: a citizen with a valid NIK who is a resident of the stack's population
registry, the one-time code from the mail they were sent, the development admin's token, and a staff
member's two-step sign-in (password, then the code their authenticator app shows: ``antre_dev.totp``)."""

import re
import uuid
from datetime import date

from antre_dev import totp
from antre_dev.mailbox import text_of
from antre_dev.registry import ResidentExists, add_resident

BIRTH = date(1988, 11, 2)
PASSWORD = "nasi goreng kampung pedas"  # noqa: S105 - test value


def new_person(female=True, full_name="Ayu Kartika", birth=BIRTH, family_card_number=None, relationship="head"):
    """A registration for a new resident, added first to the running stack's population registry (its own
    family card unless one is given)."""
    person = {
        "nik": nik_for(birth, female),
        "full_name": full_name,
        "birth_date": birth.isoformat(),
        "email": f"ayu.{uuid.uuid4().hex[:10]}@example.id",
        "phone": "0813-1122-3344",
        "password": PASSWORD,
    }
    card = {"family_card_number": family_card_number} if family_card_number else {}
    added = added_resident(person, {**card, "relationship": relationship})
    person_card[person["nik"]] = added["family_card_number"]
    return person


def nik_for(birth, female):
    """A NIK of Kota Bandung for that birth date: the last four digits are the only free part."""
    day = birth.day + (40 if female else 0)
    return f"327301{day:02d}{birth:%m%y}{uuid.uuid4().int % 10000:04d}"


def added_resident(record, extra):
    """Adds ``record`` (its ``nik`` changed in place if need be) to the registry. Four random digits per birth
    date collide now and then among a session's few hundred people: a NIK the registry has gets another."""
    for _ in range(20):
        try:
            return add_resident({**record, **extra})
        except ResidentExists:
            record["nik"] = record["nik"][:12] + f"{uuid.uuid4().int % 10000:04d}"
    raise RuntimeError("no free NIK after 20 tries")


person_card = {}  # NIK -> family-card number, for tests that add family members to a person's card


def new_family_member(person, full_name, birth, relationship="child", female=False):
    """A resident on ``person``'s family card (no account): ``{nik, full_name, birth_date}``."""
    member = {"nik": nik_for(birth, female), "full_name": full_name, "birth_date": birth.isoformat()}
    added_resident(member, {"family_card_number": person_card[person["nik"]], "relationship": relationship})
    return member


def code_from_mail(mailbox, email):
    mails = mailbox.wait_for(lambda m: m["To"] == email and re.search(r"\b\d{6}\b", text_of(m)), timeout=30)
    return re.search(r"\b(\d{6})\b", text_of(mails[-1])).group(1)


def staff_sign_in(gateway, email, password, secret=None, headers=None):
    """``(tokens, secret)``: a staff member's sign-in through the gateway. The password answers a challenge;
    without ``secret`` an authenticator is enrolled first (its secret is returned for the next sign-in); then
    the code, as an authenticator app computes it (never one already used)."""
    login = gateway.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)
    assert login.status_code == 200 and "challenge_token" in login.json(), login.text
    challenge = {"challenge_token": login.json()["challenge_token"]}
    if secret is None:
        assert login.json()["second_factor"] == "totp_enrolment", login.text
        enrolment = gateway.post("/api/v1/auth/totp/enrolment", json=challenge, headers=headers)
        assert enrolment.status_code == 201, enrolment.text
        secret = enrolment.json()["secret"]
    tokens = gateway.post("/api/v1/auth/login/code", json={**challenge, "code": totp.code(secret)}, headers=headers)
    assert tokens.status_code == 200, tokens.text
    return tokens.json(), secret


def admin_access_token(stack, gateway):
    """The development admin's access token (the stack's ANTRE_ADMIN_* credentials and authenticator secret)."""
    env = stack.env()
    tokens, _ = staff_sign_in(
        gateway, env["ANTRE_ADMIN_EMAIL"], env["ANTRE_ADMIN_PASSWORD"], env["ANTRE_ADMIN_TOTP_SECRET"]
    )
    return tokens["access_token"]
