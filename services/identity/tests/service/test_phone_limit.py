"""A phone number belongs to a few accounts only (issue 21): a broker's invented identities with one phone
fail at the registration past the limit, nothing is written, and two at once cannot both pass."""

from datetime import date

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from antre_common.errors import ServiceError
from identity.exceptions import PhoneLimitReached
from identity.service import IdentityService

from ..conftest import _make_nik

IP = "203.0.113.7"


@pytest.fixture(scope="module", autouse=True)
def residents(registry):
    """Every person below is a resident of the (real, development) population registry."""
    for n in range(1, 10):
        registry.add(person(n))


@pytest.fixture
def identity(container_factory, identity_config):
    container = container_factory(IdentityService, dict(identity_config, ACCOUNTS_PER_PHONE=1))
    container.start()
    return container


def person(n, phone="0812-3456-7890"):
    birth = date(1990, 3, 14)
    return {
        "nik": _make_nik(birth, serial=f"{n:04d}"),
        "full_name": f"Budi Santoso {'ABCDEFGHIJ'[n % 10]}",
        "birth_date": birth.isoformat(),
        "email": f"budi{n}@example.co.id",
        "phone": phone,
        "password": "kopi susu di pagi hari",
    }


def register(container, data):
    with entrypoint_hook(container, "register") as hook:
        return hook(data, client_ip=IP)


def accounts(db):
    with db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM user_account WHERE role = 'citizen'")).scalar()


def test_two_identities_with_one_phone_fail_at_the_second_registration(identity, db):
    assert register(identity, person(1))["status"] == "pending_verification"
    with pytest.raises(PhoneLimitReached):
        register(identity, person(2, phone="+62 812 3456 7890"))  # the same number written another way
    assert accounts(db) == 1
    assert register(identity, person(3, phone="0813-0000-1111"))["status"] == "pending_verification"


def test_two_registrations_with_one_phone_at_once_make_one_account(identity, container_factory, identity_config, db):
    """Two replicas (nameko's entrypoint_hook does not tell concurrent calls of one entrypoint apart)."""
    replica = container_factory(IdentityService, dict(identity_config, ACCOUNTS_PER_PHONE=1))
    replica.start()
    phone = "0815-2222-3333"
    results = [eventlet.spawn(register, c, person(n, phone=phone)) for c, n in ((identity, 4), (replica, 5))]
    outcomes = []
    for gt in results:
        try:
            outcomes.append(gt.wait()["status"])
        except PhoneLimitReached:
            outcomes.append("PHONE_LIMIT_REACHED")
    assert sorted(outcomes) == ["PHONE_LIMIT_REACHED", "pending_verification"]
    assert accounts(db) == 1


@pytest.fixture
def limited(container_factory, identity_config):
    config = dict(identity_config, REGISTER_RATE_ADDRESS="3/3600", REGISTER_RATE_PHONE="2/3600",
                  REGISTER_RATE_EMAIL="2/3600")  # fmt: skip
    container = container_factory(IdentityService, config)
    container.start()
    return container


def outcome(container, data, client_ip):
    try:
        with entrypoint_hook(container, "register") as hook:
            return hook(data, client_ip=client_ip)["status"]
    except ServiceError as exc:
        return exc.code


def test_registrations_are_rate_limited_per_address_phone_and_email_whatever_their_answer(limited):
    """Counted in identity's database (every replica sees them), on each attempt past the input checks: a
    409 too, since each tells whether a NIK or an email is known."""
    # Per email: the second attempt is a 409, the third a 429.
    taken = [outcome(limited, person(1, phone=f"0813-0000-{n}000"), f"198.51.100.{n}") for n in range(1, 4)]
    assert taken == ["pending_verification", "ALREADY_REGISTERED", "RATE_LIMITED"]
    # Per phone: two accounts may share it (ACCOUNTS_PER_PHONE is 2), a third attempt is limited.
    shared = [outcome(limited, person(n, phone="0815-7777-8888"), f"198.51.101.{n}") for n in (2, 3, 4)]
    assert shared == ["pending_verification", "pending_verification", "RATE_LIMITED"]
    # Per address: three attempts from one, then 429 with new emails and phones.
    office = [outcome(limited, person(n, phone=f"0817-1111-{n}000"), "198.51.102.9") for n in (6, 7, 8, 9)]
    assert office == ["pending_verification"] * 3 + ["RATE_LIMITED"]
