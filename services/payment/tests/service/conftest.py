"""Payment on real RabbitMQ and PostgreSQL; with scheduling beside it (its own database, same vhost) for the
tests of a booking with a fee. Notifications are signed and sent as the channel sends them."""

import base64
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port, get_extension
from sqlalchemy import create_engine, text

from antre_common.testing import SchedulingAsGateway, error_code, wait_until  # noqa: F401 - error_code: for the tests
from payment.channel import sign
from payment.service import PaymentService

SECRET = "test-channel-secret-0001"  # noqa: S105 - test key
NEXT_SECRET = "test-channel-secret-0002"  # noqa: S105 - the key a rotation adds
SCHEDULING_DIR = Path(__file__).resolve().parents[3] / "scheduling"
PAYMENT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(service_config, test_tokens):
    return dict(
        service_config,
        **test_tokens.config,
        PAYMENT_CHANNEL_SECRETS=f"k1:{SECRET},k2:{NEXT_SECRET}",
        PAYMENT_HOLD_SECONDS=4,
        PAYMENT_EXPIRY_SWEEP_SECONDS=0.2,
        PAYMENT_REMINDER_BEFORE_SECONDS=2,
        PAYMENT_OUTAGE_GRACE_SECONDS=3,
    )


@pytest.fixture
def engine(config):
    engine = create_engine(config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def payment(container_factory, config):
    container = container_factory(PaymentService, config)
    container.start()
    return container


ADMIN = {"user_id": "0a0a0a0a-0000-4000-8000-00000000ad01", "role": "admin", "office_code": None}


@pytest.fixture
def rpc(config, payment, test_tokens):
    """Payment over the bus with an admin's access token in the context, as the gateway's admin routes call."""
    with ClusterRpcProxy(config, timeout=30, context_data=test_tokens.context(ADMIN, caller=None)) as proxy:
        yield proxy.payment


def notification(bill, transaction_id=None, amount=None, secret=SECRET, timestamp=None, billing_code=None):
    """``(body_b64, signature)`` of the channel's notification for ``bill``."""
    now = datetime.now(UTC)
    body = json.dumps(
        {
            "transaction_id": transaction_id or f"TX-{uuid.uuid4().hex[:16]}",
            "billing_code": billing_code or bill["billing_code"],
            "amount": bill["amount"] if amount is None else amount,
            "currency": "IDR",
            "paid_at": now.isoformat(),
            "timestamp": int(now.timestamp()) if timestamp is None else timestamp,
        }
    ).encode()
    return base64.b64encode(body).decode(), sign(secret, body)


def new_bill_args(service_code="paspor_elektronik", office_code="MKS"):
    return {
        "booking_id": str(uuid.uuid4()),
        "user_id": str(uuid.uuid4()),
        "service_code": service_code,
        "office_code": office_code,
    }


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def outbox(engine, event_type):
    found = rows(engine, "SELECT payload FROM outbox WHERE event_type = :t ORDER BY created_at", t=event_type)
    return [r["payload"] if isinstance(r["payload"], dict) else json.loads(r["payload"]) for r in found]


# -- scheduling beside payment ------------------------------------------------------------------------------


@pytest.fixture
def scheduling_config(config, database_factory):
    return dict(
        config,
        DATABASE_URL=database_factory(SCHEDULING_DIR),
        WEB_SERVER_ADDRESS=f"127.0.0.1:{find_free_port()}",
        max_workers=20,
    )


@pytest.fixture
def scheduling(container_factory, scheduling_config, test_tokens):
    from scheduling.service import SchedulingRuntime, SchedulingService

    container = container_factory(SchedulingService, scheduling_config)
    container.start()
    runtime = get_extension(container, SchedulingRuntime)
    wait_until(lambda: runtime.released, 20, what="the first release")
    with ClusterRpcProxy(scheduling_config, timeout=30) as proxy:
        yield SchedulingAsGateway(proxy.scheduling, test_tokens)  # citizen's calls with their token


@pytest.fixture
def scheduling_engine(scheduling_config):
    engine = create_engine(scheduling_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def one_seat_slots(scheduling, office_code="MKS", minutes=20):
    """Every slot of the office holds exactly one booking of a ``minutes``-long service; the open slots, from
    the day after tomorrow on (so a short hold never meets the slot's start)."""
    scheduling.update_capacity(office_code, {"counters": 1, "slot_minutes": 60, "online_share": minutes / 60})
    slots = scheduling.get_availability({"office_code": office_code, "service_code": "paspor_elektronik"})
    later = [
        s for s in slots if s["remaining"] > 0 and (datetime.fromisoformat(s["start"]) - datetime.now(UTC)).days >= 1
    ]
    assert later
    return later


def citizen():
    return {"user_id": str(uuid.uuid4()), "person_ref": uuid.uuid4().hex}


def book(scheduling, slot, person=None, service_code="paspor_elektronik"):
    return scheduling.create_booking(
        {**(person or citizen()), "slot_id": slot["slot_id"], "service_code": service_code}
    )


# -- payment as a real process, to be killed ----------------------------------------------------------------


class PaymentProcess:
    """``nameko run`` of payment with the test's config: ``start()``, ``kill()`` (SIGKILL, no goodbye)."""

    def __init__(self, config, log_path):
        self.config = config
        self.log_path = log_path
        self.proc = None

    def start(self):
        env = {
            **os.environ,
            **{k: str(v) for k, v in self.config.items() if isinstance(v, str | int | float)},
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - the process writes it until killed
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "nameko"),
                "run",
                "--config",
                "config.yaml",
                "payment.service:PaymentService",
            ],
            cwd=PAYMENT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
