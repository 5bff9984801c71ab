from datetime import date
from pathlib import Path

import pytest

ADMIN_EMAIL = "root@antre.test"
ADMIN_PASSWORD = "first admin of the test suite"  # noqa: S105 - test value


@pytest.fixture
def service_dir():
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def identity_keys(tmp_path_factory):
    """Real keys, made like the dev stack makes them (never checked in)."""
    from antre_dev.keys import dev_keys

    return dev_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def identity_config(service_config, identity_keys):
    return {
        **service_config,
        "JWT_PRIVATE_KEY": identity_keys["JWT_PRIVATE_KEY"],
        "DATA_KEYS": identity_keys["DATA_KEYS"],
        "LOOKUP_KEY": identity_keys["LOOKUP_KEY"],
        "ANTRE_ADMIN_EMAIL": ADMIN_EMAIL,
        "ANTRE_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }


def _make_nik(birth: date, female=False, region="317101", serial="0001"):
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial}"


@pytest.fixture
def make_nik():
    return _make_nik


@pytest.fixture
def citizen():
    """A valid registration (a woman born 1990-03-14 in Jakarta Pusat)."""
    birth = date(1990, 3, 14)
    return {
        "nik": _make_nik(birth, female=True),
        "full_name": "Siti Rahmawati",
        "birth_date": birth.isoformat(),
        "email": "siti.rahma@example.co.id",
        "phone": "0812-3456-7890",
        "password": "kopi susu di pagi hari",
    }
