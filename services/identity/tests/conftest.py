from datetime import date
from pathlib import Path

import pytest

ADMIN_EMAIL = "root@antre.test"
ADMIN_PASSWORD = "first admin of the test suite"  # noqa: S105 - test value
ADMIN_TOTP_SECRET = "ANTRETESTADMINSECRETJAKARTA22222"  # noqa: S105 - test value (base32)


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
        "ANTRE_ADMIN_TOTP_SECRET": ADMIN_TOTP_SECRET,
    }


def opened(envelope, config):
    """An ``otp_requested`` envelope with its code opened as notification opens it (``data["otp"]``)."""
    from antre_common.sealed_box import OpeningKeys, one_time_code_aad

    data = envelope["data"]
    if "otp_sealed" in data:
        aad = one_time_code_aad(data["user_id"], data["channel"], data["purpose"])
        data["otp"] = OpeningKeys(config["OTP_PRIVATE_KEYS"], "OTP_PRIVATE_KEYS").open(data["otp_sealed"], aad)
    return envelope


@pytest.fixture
def sign_in_staff():
    """``sign_in_staff(container, email, password, secret=None)`` → ``(tokens, secret)``: a staff login through
    its two steps, enrolling an authenticator first when ``secret`` is None; codes come from antre_dev.totp
    (an authenticator app, never the same code twice)."""
    from nameko.testing.services import entrypoint_hook

    from antre_dev.totp import code

    def call(container, method, *args, **kwargs):
        with entrypoint_hook(container, method) as hook:
            return hook(*args, **kwargs)

    def sign_in(container, email, password, secret=None, client_ip="203.0.113.7"):
        step = call(container, "login", {"email": email, "password": password}, client_ip=client_ip)
        challenge = {"challenge_token": step["challenge_token"]}
        if step["second_factor"] == "totp_enrolment":
            secret = call(container, "enrol_second_factor", challenge, client_ip=client_ip)["secret"]
        tokens = call(container, "login_code", {**challenge, "code": code(secret)}, client_ip=client_ip)
        return tokens, secret

    return sign_in


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
