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


CITIZEN_BIRTH = date(1990, 3, 14)


@pytest.fixture(scope="session")
def registry():
    """The development population registry (antre_dev.registry) as a real process on a free port, with the
    ``citizen`` below as a resident: ``registry.url``, ``registry.add(resident)``."""
    from antre_dev.registry import RegistryProcess
    from antre_dev.stack import free_port

    running = RegistryProcess(free_port()).start()
    running.add(_citizen())
    yield running
    running.stop()


@pytest.fixture
def identity_config(service_config, identity_keys, registry):
    return {
        **service_config,
        "REGISTRY_URL": registry.url,
        "REGISTRY_USER": registry.user,
        "REGISTRY_PASSWORD": registry.password,
        "JWT_PRIVATE_KEY": identity_keys["JWT_PRIVATE_KEY"],
        "DATA_KEYS": identity_keys["DATA_KEYS"],
        "LOOKUP_KEY": identity_keys["LOOKUP_KEY"],
        "OTP_PUBLIC_KEY": identity_keys["OTP_PUBLIC_KEY"],
        # not identity's: the listeners that stand in for notification open the codes with it
        "OTP_PRIVATE_KEYS": identity_keys["OTP_PRIVATE_KEYS"],
        "ANTRE_ADMIN_EMAIL": ADMIN_EMAIL,
        "ANTRE_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }


def opened(envelope, config):
    """An ``otp_requested`` envelope with its code opened as notification opens it (``data["otp"]``)."""
    from antre_common.sealed_box import OpeningKeys, one_time_code_aad

    data = envelope["data"]
    if "otp_sealed" in data:
        aad = one_time_code_aad(data["user_id"], data["channel"], data["purpose"])
        data["otp"] = OpeningKeys(config["OTP_PRIVATE_KEYS"], "OTP_PRIVATE_KEYS").open(data["otp_sealed"], aad)
    return envelope


def _make_nik(birth: date, female=False, region="317101", serial="0001"):
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial}"


@pytest.fixture
def make_nik():
    return _make_nik


def _citizen():
    return {
        "nik": _make_nik(CITIZEN_BIRTH, female=True),
        "full_name": "Siti Rahmawati",
        "birth_date": CITIZEN_BIRTH.isoformat(),
        "email": "siti.rahma@example.co.id",
        "phone": "0812-3456-7890",
        "password": "kopi susu di pagi hari",
    }


@pytest.fixture
def citizen(registry):
    """A valid registration (a woman born 1990-03-14 in Jakarta Pusat), a resident of the registry."""
    return _citizen()
