"""A booking committed by a process that dies before publishing its events still reaches every consumer,
once.

To hold the first process exactly between commit and publish, it runs as a database role that may insert
into the outbox (so the booking and its events commit together) but may not update it (so its relay cannot
claim the rows: ``SELECT … FOR UPDATE`` is refused). It is then killed; a new process, with the normal role,
relays what the dead one committed."""

import json
import time

import pytest
from kombu import Connection, Exchange, Queue
from nameko.testing.utils import get_extension
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from antre_common.outbox import OutboxRelay
from antre_common.testing import RelayLessRole
from scheduling.service import SchedulingService

from .conftest import as_gateway, bookable_slot, citizen, wait_until_released


def drain(queue, timeout):
    found, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        found.append(message.body if isinstance(message.body, dict) else json.loads(message.body))
    return found


@pytest.fixture
def relay_less_url(config, engine):
    """DATABASE_URL of a role that can write the outbox but not mark it published."""
    with RelayLessRole(engine, config["DATABASE_URL"]) as url:
        yield url


def test_event_committed_before_a_crash_arrives_once(container_factory, config, relay_less_url, engine, test_tokens):
    with Connection(config["AMQP_URI"]) as conn:
        ministry = Queue("ministry", Exchange("antre.integration", type="topic", durable=True),
                         routing_key="id.go.imigrasi.antre.booking.#")(conn.channel())  # fmt: skip
        ministry.declare()
        notification = Queue("notification", Exchange("scheduling.events", type="topic", durable=True),
                             routing_key="booking_created")(conn.channel())  # fmt: skip
        notification.declare()

        doomed = container_factory(SchedulingService, dict(config, DATABASE_URL=relay_less_url))
        doomed.start()
        wait_until_released(doomed)
        with as_gateway(config, test_tokens, timeout=30) as scheduling:
            slot = bookable_slot(scheduling)
            booking = scheduling.create_booking(
                {**citizen(), "slot_id": slot["slot_id"], "service_code": "paspor_hilang"}
            )
        with pytest.raises(ProgrammingError):  # a relay pass, run now: it cannot mark the rows published
            get_extension(doomed, OutboxRelay).publish_pending()
        with engine.connect() as db:
            pending = db.execute(
                text("SELECT count(*) FROM outbox WHERE published_at IS NULL AND payload::text LIKE :id"),
                {"id": f"%{booking['booking_id']}%"},
            ).scalar()
        assert pending == 2  # booking_created and its CloudEvent: committed, not published
        doomed.kill()  # the crash
        assert drain(ministry, 0.5) == [] and drain(notification, 0.5) == []

        successor = container_factory(SchedulingService, config)
        successor.start()
        for_ministry = [e for e in drain(ministry, 5) if e["data"]["booking_id"] == booking["booking_id"]]
        internal = [e for e in drain(notification, 1) if e["data"]["booking_id"] == booking["booking_id"]]
    assert [e["type"] for e in for_ministry] == ["id.go.imigrasi.antre.booking.created.v1"]
    assert [e["type"] for e in internal] == ["booking_created"]
    assert internal[0]["data"]["reservation_code"] == booking["reservation_code"]
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() == 0
