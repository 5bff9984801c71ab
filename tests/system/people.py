"""People for system and browser tests: a citizen with a valid NIK who is a resident of the stack's population
registry, the one-time code from the mail they were sent, and the development admin's token."""

import re
import uuid
from datetime import date

from antre_dev.mailbox import text_of
from antre_dev.registry import add_resident

BIRTH = date(1988, 11, 2)
PASSWORD = "nasi goreng kampung pedas"  # noqa: S105 - test value


def new_person(female=True, full_name="Ayu Kartika", birth=BIRTH, family_card_number=None, relationship="head"):
    """A registration for a new resident, added first to the running stack's population registry (its own
    family card unless one is given)."""
    day = birth.day + (40 if female else 0)
    person = {
        "nik": f"327301{day:02d}{birth:%m%y}{uuid.uuid4().int % 10000:04d}",
        "full_name": full_name,
        "birth_date": birth.isoformat(),
        "email": f"ayu.{uuid.uuid4().hex[:10]}@example.id",
        "phone": "0813-1122-3344",
        "password": PASSWORD,
    }
    card = {"family_card_number": family_card_number} if family_card_number else {}
    added = add_resident({**person, **card, "relationship": relationship})
    person_card[person["nik"]] = added["family_card_number"]
    return person


person_card = {}  # NIK -> family-card number, for tests that add family members to a person's card


def new_family_member(person, full_name, birth, relationship="child", female=False):
    """A resident on ``person``'s family card (no account): ``{nik, full_name, birth_date}``."""
    day = birth.day + (40 if female else 0)
    member = {
        "nik": f"327301{day:02d}{birth:%m%y}{uuid.uuid4().int % 10000:04d}",
        "full_name": full_name,
        "birth_date": birth.isoformat(),
    }
    add_resident({**member, "family_card_number": person_card[person["nik"]], "relationship": relationship})
    return member


def code_from_mail(mailbox, email):
    mails = mailbox.wait_for(lambda m: m["To"] == email and re.search(r"\b\d{6}\b", text_of(m)), timeout=30)
    return re.search(r"\b(\d{6})\b", text_of(mails[-1])).group(1)


def admin_access_token(stack, gateway):
    """The development admin's access token (the stack's ANTRE_ADMIN_* credentials)."""
    env = stack.env()
    login = gateway.post(
        "/api/v1/auth/login", json={"email": env["ANTRE_ADMIN_EMAIL"], "password": env["ANTRE_ADMIN_PASSWORD"]}
    )
    assert login.status_code == 200, login.text
    return login.json()["access_token"]
