"""People for system and browser tests: a citizen with a valid NIK, the one-time code from the mail they were
sent, and the development admin's token."""

import re
import uuid
from datetime import date

from antre_dev.mailbox import text_of

BIRTH = date(1988, 11, 2)
PASSWORD = "nasi goreng kampung pedas"  # noqa: S105 - test value


def new_person(female=True):
    day = BIRTH.day + (40 if female else 0)
    return {
        "nik": f"327301{day:02d}{BIRTH:%m%y}{uuid.uuid4().int % 10000:04d}",
        "full_name": "Ayu Kartika",
        "birth_date": BIRTH.isoformat(),
        "email": f"ayu.{uuid.uuid4().hex[:10]}@example.id",
        "phone": "0813-1122-3344",
        "password": PASSWORD,
    }


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
