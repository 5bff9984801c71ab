"""LOOKUP_KEY rotates without downtime (issue 17, noted earlier): with a new key first, every person is still
found (login, duplicates refused) while their rows carry the old key's hashes; housekeeping moves the rows to
the new key; then the old key goes and nobody is lost, nobody can register twice, and person references
(kept by other services) never change."""

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from antre_common.errors import ServiceError
from identity.secrets_box import KeyConfigError, Sealer
from identity.service import IdentityService

from ..conftest import _make_nik
from .gateway_calls import call

NEW = "l2:kunci-pencarian-yang-baru-sekali-0123456789"


def person(n):
    birth = date(1991, 5, 20)
    return {
        "nik": _make_nik(birth, serial=f"{n + 40:04d}"),
        "full_name": f"Rina Wulandari {'ABCDEFGHIJ'[n]}",
        "birth_date": birth.isoformat(),
        "email": f"rina{n}@example.co.id",
        "phone": f"0812-5555-{n}000",
        "password": "teh manis hangat di sore hari",
    }


CHILD = {"nik": _make_nik(date(2016, 8, 9), serial="0041"), "full_name": "Dimas Pratama", "birth_date": "2016-08-09"}


@pytest.fixture(scope="module", autouse=True)
def residents(registry):
    card = registry.add(person(1))["family_card_number"]
    registry.add(CHILD, relationship="child", family_card_number=card)  # first's child, no account: a dependent
    for n in range(2, 5):
        registry.add(person(n))


@pytest.fixture
def start(container_factory, identity_config):
    running = []

    def start(lookup_key, **more):
        for container in running:
            container.stop()  # a rolling restart: the old pods go, the new ones come with the new config
        config = dict(
            identity_config, LOOKUP_KEY=lookup_key, REGISTER_RATE_PHONE="100/60", REGISTER_RATE_EMAIL="100/60"
        )
        container = container_factory(IdentityService, dict(config, **more))
        container.start()
        running.append(container)
        return container

    return start


def outcome(container, method, *args):
    try:
        return call(container, method, *args)
    except ServiceError as exc:
        return exc.code


def register_active(container, db, data):
    user_id = call(container, "register", data)["user_id"]
    with db.begin() as conn:  # the code by mail is tested elsewhere
        conn.execute(text("UPDATE user_account SET status = 'active' WHERE id = :id"), {"id": user_id})
    return user_id


def everyone_found_and_nobody_twice(container, people):
    for data in people:
        assert "access_token" in call(container, "login", {"email": data["email"], "password": data["password"]})
        twin = dict(person(4), email=data["email"])  # another person, the same email
        assert outcome(container, "register", twin) == "ALREADY_REGISTERED"
        twin = dict(person(4), nik=data["nik"], full_name=data["full_name"])  # the same NIK, another email
        assert outcome(container, "register", twin) == "ALREADY_REGISTERED"


ROWS = "SELECT id, email_hash, nik_hash, phone_hash, person_ref, lookup_kid FROM user_account WHERE role = 'citizen'"


def rows(db):
    with db.connect() as conn:
        return {r.id: r for r in conn.execute(text(ROWS))}


def test_a_new_lookup_key_keeps_everyone_findable_and_unique_through_the_whole_rotation(start, identity_config, db):
    legacy = identity_config["LOOKUP_KEY"]  # a bare secret: the one key of an older release
    first, second = person(1), person(2)
    before = start(legacy)
    register_active(before, db, first)
    dependent = call(before, "add_dependent", rows(db).popitem()[0], CHILD["nik"])
    original = rows(db)
    [(first_id, first_row)] = original.items()
    assert first_row.lookup_kid is None

    # 1. The new key first, the old one still known: rows of both keys are found and stay unique.
    with pytest.raises(KeyConfigError):  # several keys: which one made the person references must be said
        Sealer(identity_config["DATA_KEYS"], f"{NEW},l1:{legacy}")
    rotating = start(f"{NEW},l1:{legacy}", PERSON_REF_KEY=legacy)
    register_active(rotating, db, second)
    assert {r.lookup_kid for r in rows(db).values()} == {None, "l2"}
    everyone_found_and_nobody_twice(rotating, [first, second])

    # 2. Housekeeping moves every row to the new key; the person reference stays as it was.
    call(rotating, "housekeeping")
    moved = rows(db)
    assert {r.lookup_kid for r in moved.values()} == {"l2"}
    assert moved[first_id].email_hash != first_row.email_hash and moved[first_id].nik_hash != first_row.nik_hash
    assert moved[first_id].person_ref == first_row.person_ref
    with db.connect() as conn:
        assert conn.execute(text("SELECT lookup_kid FROM dependent")).scalars().all() == ["l2"]

    # 3. The old key goes (PERSON_REF_KEY keeps the person references' key): nobody lost, nobody twice.
    after = start(NEW, PERSON_REF_KEY=legacy)
    everyone_found_and_nobody_twice(after, [first, second])
    assert call(after, "add_dependent", first_id, CHILD["nik"]) == dependent  # found: the same answer
    [child] = [m for m in call(after, "family", first_id) if m["full_name"] == CHILD["full_name"]]
    assert child["is_dependent"] and child["person_id"] == dependent["person_id"]
    third_id = register_active(after, db, person(3))
    refs = {r.person_ref for r in rows(db).values()}
    assert len(refs) == 3 and moved[first_id].person_ref in refs
    with db.connect() as conn:
        duplicates = conn.execute(text("SELECT count(*) - count(DISTINCT email_hash) FROM user_account")).scalar()
    assert duplicates == 0 and rows(db)[uuid.UUID(third_id)].lookup_kid == "l2"
