"""Scheduling on real RabbitMQ and PostgreSQL: a running container, an AMQP client and the database."""

import json
import uuid
from contextlib import contextmanager

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_extension
from sqlalchemy import create_engine, text

from antre_common.testing import SchedulingAsGateway, error_code, wait_until  # noqa: F401 - error_code: for the tests
from scheduling.service import SchedulingRuntime, SchedulingService


@pytest.fixture
def config(service_config, test_tokens):
    return dict(service_config, **test_tokens.config, max_workers=50, DB_POOL_SIZE=20)


@pytest.fixture
def engine(config):
    engine = create_engine(config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def container(container_factory, config):
    container = container_factory(SchedulingService, config)
    container.start()
    wait_until_released(container)
    return container


def wait_until_released(container, timeout=20):
    runtime = get_extension(container, SchedulingRuntime)
    wait_until(lambda: runtime.released, timeout, what="the first release")


@pytest.fixture
def rpc(config, container, test_tokens):
    with as_gateway(config, test_tokens) as scheduling:
        yield scheduling


@contextmanager
def as_gateway(config, tokens, timeout=60):
    """Scheduling's RPCs over the bus as the gateway makes them (``antre_common.testing.SchedulingAsGateway``)."""
    with ClusterRpcProxy(config, timeout=timeout) as cluster:
        yield SchedulingAsGateway(cluster.scheduling, tokens)


def citizen():
    return {"user_id": str(uuid.uuid4()), "person_ref": uuid.uuid4().hex}


def set_seats(rpc, office_code, seats, minutes=30):
    """Capacity such that each slot holds ``seats`` bookings of a ``minutes``-long service."""
    rpc.update_capacity(office_code, {"counters": seats, "slot_minutes": 60, "online_share": minutes / 60})


def bookable_slot(rpc, office_code="JKS", service_code="paspor_hilang", min_hours=30, skip=0):
    """A slot at least ``min_hours`` ahead (for reschedule tests), the ``skip``-th such."""
    from datetime import UTC, datetime, timedelta

    limit = datetime.now(UTC) + timedelta(hours=min_hours)
    slots = [
        s
        for s in rpc.get_availability({"office_code": office_code, "service_code": service_code})
        if datetime.fromisoformat(s["start"]) > limit and s["remaining"] > 0
    ]
    return slots[skip]


def slot_row(engine, slot_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT * FROM slot WHERE id = :id"), {"id": slot_id}).mappings().one()


def outbox(engine, event_type):
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM outbox WHERE event_type = :t ORDER BY created_at"), {"t": event_type}
        ).scalars()
        return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def confirm(reservation_code, **extra):
    """A check-in request: the officer has compared the KTP with the holder."""
    return {"reservation_code": reservation_code, "identity_confirmed": True, **extra}
