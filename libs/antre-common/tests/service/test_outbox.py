"""Events leave only after the commit, survive a crash between commit and publish, and are handled once."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from kombu import Connection, Exchange, Queue
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from nameko.testing.utils import get_extension
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from antre_common.db import Database
from antre_common.envelope import make_envelope, utcnow
from antre_common.health import ServiceBase
from antre_common.migrations import ensure_database
from antre_common.testing import wait_until
from notification.models import OutboxEvent, ProcessedEvent


class Base(DeclarativeBase):
    pass


class Note(Base):
    """A table the handler writes to; lives in the test database beside the migrated event tables."""

    __tablename__ = "test_note"
    event_id: Mapped[str] = mapped_column(primary_key=True)


class PublisherService(ServiceBase):
    name = "publisher"
    db = Database(OutboxEvent, ProcessedEvent)

    @rpc
    def change(self, fail=False):
        with self.db.transaction():
            envelope = self.db.add_event("thing_changed", {"n": 1})
            if fail:
                raise ValueError("rolled back")
        return envelope["event_id"]


class ConsumerService(ServiceBase):
    name = "consumer"
    # It shares the test database with the publisher, so it must not relay the publisher's outbox.
    db = Database(processed_model=ProcessedEvent)

    @event_handler("publisher", "thing_changed")
    def on_changed(self, envelope):
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "on_changed"):
                return "duplicate"
            session.add(Note(event_id=envelope["event_id"]))
        return "handled"


@pytest.fixture
def config(service_config):
    engine = create_engine(service_config["DATABASE_URL"])
    Base.metadata.create_all(engine)  # only the test's own table; the event tables come from migrations
    engine.dispose()
    return service_config


def notes(config):
    engine = create_engine(config["DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(select(Note.event_id)).scalars().all()
    engine.dispose()
    return rows


def test_event_is_published_after_commit_and_handled(container_factory, config):
    consumer = container_factory(ConsumerService, config)
    publisher = container_factory(PublisherService, config)
    consumer.start()
    publisher.start()
    with entrypoint_waiter(consumer, "on_changed", timeout=10) as result:
        with entrypoint_hook(publisher, "change") as change:
            event_id = change()
    assert result.get() == "handled"
    assert notes(config) == [event_id]
    assert REGISTRY.get_sample_value("antre_publisher_outbox_published_total") >= 1
    assert REGISTRY.get_sample_value("antre_publisher_outbox_oldest_pending_seconds") == 0


def test_rolled_back_change_publishes_nothing(container_factory, config):
    publisher = container_factory(PublisherService, config)
    publisher.start()
    with entrypoint_hook(publisher, "change") as change:
        with pytest.raises(ValueError):
            change(fail=True)
    engine = create_engine(config["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
    engine.dispose()


def test_event_committed_before_a_crash_is_published_by_the_next_process(container_factory, config):
    """The row is committed but the process died before publishing: a new process publishes it."""
    event_id = str(uuid.uuid4())
    engine = create_engine(config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(
            OutboxEvent.__table__.insert().values(
                event_id=event_id,
                event_type="thing_changed",
                payload=make_envelope("thing_changed", {"n": 2}, None, event_id=event_id),
                created_at=text("now()"),
            )
        )
    engine.dispose()
    consumer = container_factory(ConsumerService, config)
    consumer.start()
    with entrypoint_waiter(consumer, "on_changed", timeout=10) as result:
        container_factory(PublisherService, config).start()
    assert result.get() == "handled"
    assert notes(config) == [event_id]


def test_a_redelivered_event_is_handled_once(container_factory, config):
    consumer = container_factory(ConsumerService, config)
    publisher = container_factory(PublisherService, config)
    consumer.start()
    publisher.start()
    relay = get_extension(publisher, Database).relay
    with entrypoint_waiter(consumer, "on_changed", timeout=10):
        with entrypoint_hook(publisher, "change") as change:
            event_id = change()
    # Publish the same row again, as after a crash between publish and marking it published.
    engine = create_engine(config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE outbox SET published_at = NULL"))
    engine.dispose()
    with entrypoint_waiter(consumer, "on_changed", timeout=10) as result:
        relay.kick()
    assert result.get() == "duplicate"
    assert notes(config) == [event_id]


def test_database_helper_creates_missing_database(config):
    """ensure_database is idempotent: calling it on an existing database changes nothing."""
    ensure_database(config["DATABASE_URL"])
    assert notes(config) == []


def received(queue, seconds):
    """The event ids that reached ``queue`` within ``seconds`` (every copy)."""
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        found.append((message.body if isinstance(message.body, dict) else json.loads(message.body))["event_id"])
    return found


def test_a_batch_that_fails_half_way_is_retried_without_duplicates(container_factory, config):
    """Five events in one batch to a queue that takes two and refuses more (the broker nacks them): the two
    confirmed are marked published at once and never sent again; the rest follow as room is made."""
    engine = create_engine(config["DATABASE_URL"])
    ids = [str(uuid.uuid4()) for _ in range(5)]
    start = utcnow()
    with engine.begin() as conn:
        for n, event_id in enumerate(ids):
            conn.execute(
                OutboxEvent.__table__.insert().values(
                    event_id=event_id,
                    event_type="thing_changed",
                    payload=make_envelope("thing_changed", {"n": n}, None, event_id=event_id),
                    created_at=start + timedelta(milliseconds=n),
                )
            )

    def published():
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT event_id FROM outbox WHERE published_at IS NOT NULL")).scalars()
            return {str(r) for r in rows}

    with Connection(config["AMQP_URI"]) as conn:
        watch = Queue(
            "watch",
            Exchange("publisher.events", type="topic", durable=True),
            routing_key="thing_changed",
            queue_arguments={"x-max-length": 2, "x-overflow": "reject-publish"},
        )(conn.channel())
        watch.declare()
        container_factory(PublisherService, config).start()
        wait_until(lambda: published() == set(ids[:2]), what="the two confirmed events marked published")
        got = []

        def all_out():
            got.extend(received(watch, 0.5))  # makes room: the relay's next pass sends what was refused
            return published() == set(ids)

        wait_until(all_out, timeout=60, what="every event published")
        got.extend(received(watch, 1))
    assert got == ids  # each once, in commit order
    engine.dispose()
