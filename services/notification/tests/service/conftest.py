"""Notification on real RabbitMQ, PostgreSQL and SMTP; identity and scheduling are tiny nameko test doubles
answering the RPCs of docs/contracts.md."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import create_engine, text

from antre_common.envelope import make_envelope
from antre_common.errors import NotFound
from antre_common.sealed_box import SealingKey, new_pair, one_time_code_aad
from notification.service import NotificationService

NIK = "3171234567890001"
CITIZEN = {
    "user_id": str(uuid.uuid4()),
    "full_name": "Siti Rahmawati",
    "email": "siti.rahmawati@example.id",
    "phone": "+6281234567890",
    "nik_masked": "3171**45****0001",
    "language": "id",
}
VISITOR = {
    "user_id": str(uuid.uuid4()),
    "full_name": "John Doe",
    "email": "john.doe@example.com",
    "phone": "+6281111111111",
    "nik_masked": "5171**12****0042",
    "language": "en",
}
CONTACTS = {c["user_id"]: c for c in (CITIZEN, VISITOR)}
OFFICE = {
    "code": "JKS",
    "name": "Kantor Imigrasi Kelas I Khusus Jakarta Selatan",
    "address": "Jl. Warung Buncit Raya No. 207",
    "city": "Jakarta Selatan",
    "province": "DKI Jakarta",
    "timezone": "Asia/Jakarta",
}
SERVICE = {
    "code": "paspor_baru",
    "name": "Paspor baru",
    "duration_minutes": 20,
    "required_documents": [
        {"type": "kk", "name": "Kartu Keluarga", "required": True},
        {"type": "akta", "name": "Akta kelahiran", "required": True},
    ],
}

CHECK_CODE_KEY = "Y2hlY2stY29kZS1rZXktZm9yLXNlcnZpY2UtdGVzdHMtMDE"
MESSAGE_KEYS = "m1:bWVzc2FnZS1rZXlzLWZvci1zZXJ2aWNlLXRlc3RzLTE"
OTP_PRIVATE_KEYS, OTP_PUBLIC_KEY = new_pair("o1")  # as identity would seal codes for this notification


class FakeIdentity:
    name = "identity"

    @rpc
    def get_contact(self, user_id):
        if user_id not in CONTACTS:
            raise NotFound("no such user")
        return CONTACTS[user_id]


class FakeScheduling:
    name = "scheduling"

    @rpc
    def get_office(self, code):
        return OFFICE

    @rpc
    def get_service(self, code):
        return SERVICE


@pytest.fixture
def config(service_config, smtp_sink, tmp_path, test_tokens):
    return {
        **service_config,
        **test_tokens.config,
        "SMTP_HOST": smtp_sink.host,
        "SMTP_PORT": smtp_sink.port,
        "SMTP_TIMEOUT_SECONDS": 5,
        "SMS_PROVIDER": "file",
        "SMS_OUTBOX_PATH": str(tmp_path / "sms" / "messages.jsonl"),
        "DELIVERY_POLL_SECONDS": 0.2,
        "RETRY_BASE_SECONDS": 0.3,
        "RETRY_MAX_SECONDS": 1,
        "RETRY_MAX_ATTEMPTS": 30,
        "RPC_TIMEOUT_SECONDS": 2,
        "CHECK_CODE_KEY": CHECK_CODE_KEY,
        "MESSAGE_KEYS": MESSAGE_KEYS,
        "OTP_PRIVATE_KEYS": OTP_PRIVATE_KEYS,
    }


@pytest.fixture
def start_peer(container_factory, config):
    """``start_peer("identity")``: start one of the doubles (tests cannot import them from conftest)."""
    doubles = {"identity": FakeIdentity, "scheduling": FakeScheduling}

    def start(name):
        container = container_factory(doubles[name], config)
        container.start()
        return container

    return start


@pytest.fixture
def peers(start_peer):
    """Identity and scheduling doubles, running."""
    return {name: start_peer(name) for name in ("identity", "scheduling")}


@pytest.fixture
def notification(container_factory, config, peers):
    container = container_factory(NotificationService, config)
    container.start()
    return container


class Bus:
    """Publishes events as identity, scheduling or documents would, and waits for notification's handler."""

    def __init__(self, config, container):
        self.dispatch = event_dispatcher(config)
        self.container = container

    def publish(self, source, event_type, data, *, envelope=None, handler=None, timeout=20):
        envelope = envelope or make_envelope(event_type, data, request_id=uuid.uuid4().hex)
        if handler is None:
            self.dispatch(source, event_type, envelope)
        else:
            with entrypoint_waiter(self.container, handler, timeout=timeout):
                self.dispatch(source, event_type, envelope)
        return envelope


@pytest.fixture
def bus(config, notification):
    return Bus(config, notification)


@pytest.fixture
def start_notification(container_factory, config):
    """A notification container with config overrides (and no doubles unless started), with its Bus."""

    def start(**overrides):
        cfg = dict(config, **overrides)
        container = container_factory(NotificationService, cfg)
        container.start()
        return Bus(cfg, container)

    return start


class DeliveryLog:
    def __init__(self, url):
        self.engine = create_engine(url)

    def rows(self, **where):
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "true"
        with self.engine.connect() as conn:
            result = conn.execute(text(f"SELECT * FROM delivery WHERE {clause} ORDER BY created_at, channel"), where)  # noqa: S608
            return [dict(r._mapping) for r in result]


@pytest.fixture
def delivery_log(config):
    log = DeliveryLog(config["DATABASE_URL"])
    yield log
    log.engine.dispose()


def sms_lines(config):
    path = config["SMS_OUTBOX_PATH"]
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []


def booking_data(user=CITIZEN, **overrides):
    return {
        "booking_id": str(uuid.uuid4()),
        "reservation_code": "ANT-" + uuid.uuid4().hex[:6].upper(),
        "user_id": user["user_id"],
        "office_code": OFFICE["code"],
        "service_code": SERVICE["code"],
        "date": "2026-12-01",
        "start": "09:30",
        **overrides,
    }


def otp_data(user=CITIZEN, channel="email", otp="482913", purpose="verify"):
    """``otp_requested`` as identity sends it: the code sealed for notification (identity/events.py)."""
    sealed = SealingKey(OTP_PUBLIC_KEY, "OTP_PUBLIC_KEY").seal(
        otp, one_time_code_aad(user["user_id"], channel, purpose)
    )
    return {
        "user_id": user["user_id"],
        "channel": channel,
        "purpose": purpose,
        "otp_sealed": sealed,
        "expires_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
    }


@pytest.fixture
def world(config):
    """The test data and helpers (tests cannot import conftest under --import-mode=importlib)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        NIK=NIK,
        CITIZEN=CITIZEN,
        VISITOR=VISITOR,
        OFFICE=OFFICE,
        SERVICE=SERVICE,
        booking_data=booking_data,
        otp_data=otp_data,
        sms_lines=lambda: sms_lines(config),
    )
