"""A ministry's consumer of antre.integration: the template to copy (README.md next to this package).

What it does, and why each piece is there:

- **Its own durable queue** ``ministry.<name>.events`` (a quorum queue: it survives a broker node), bound to
  ``antre.integration`` with the routing keys the ministry wants. Events published while the consumer is
  stopped wait there.
- **Manual acks after the local commit.** An event is acknowledged only once it is in the local store, so a
  crash loses nothing; a crash between commit and ack brings the event again, which the store ignores.
- **Idempotent on the CloudEvent ``id``** (the store's primary key): delivery is at least once.
- **A prefetch** bounds how many unacknowledged events the broker sends ahead (memory, redelivery after a
  crash).
- **Dead-letter for what it cannot parse**: a body that is not a CloudEvent is rejected without requeue
  and lands in ``ministry.<name>.dead`` for a person to look at, instead of looping forever.
- **Reconnect with backoff** (exponential, with jitter, capped): a broker restart or a dropped connection
  is waited out; unacknowledged events come again and are deduplicated.
- **A small local store** (SQLite): the events, and what the ministry's own ``handle`` made of them, in
  one transaction.

Only pika and the standard library: a ministry can copy this file alone.
"""

import json
import logging
import random
import sqlite3
import time
from dataclasses import dataclass, field

import pika
from pika.exceptions import AMQPChannelError, AMQPConnectionError, ChannelClosedByBroker

log = logging.getLogger("ministry_consumer")

EXCHANGE = "antre.integration"
REQUIRED = ("specversion", "id", "source", "type", "time", "data")


@dataclass
class Settings:
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    name: str = "dev"  # the ministry: queues are ministry.<name>.*, which is all its broker user may use
    bindings: tuple = ("id.go.imigrasi.antre.#",)
    store_path: str = "ministry-events.sqlite"
    prefetch: int = 50
    heartbeat_seconds: int = 30
    backoff_first_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    quorum: bool = True
    connection_name: str = field(default="")

    @property
    def queue(self):
        return f"ministry.{self.name}.events"

    @property
    def dead_letter_exchange(self):
        return f"ministry.{self.name}.dlx"

    @property
    def dead_letter_queue(self):
        return f"ministry.{self.name}.dead"


def queue_arguments(settings):
    """The main queue's arguments (the onboarding script declares it with the same ones)."""
    arguments = {"x-dead-letter-exchange": settings.dead_letter_exchange}
    if settings.quorum:
        arguments["x-queue-type"] = "quorum"
    return arguments


class Store:
    """The local store: one row per CloudEvent id. ``add`` returns False for an id already kept."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS event (id TEXT PRIMARY KEY, type TEXT NOT NULL, source TEXT NOT NULL,"
            " time TEXT NOT NULL, data TEXT NOT NULL, received_at REAL NOT NULL)"
        )

    def add(self, event, handle):
        """Keep ``event`` and run ``handle(event, db)`` in one transaction, the first time only."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO event VALUES (?, ?, ?, ?, ?, ?)",
                (event["id"], event["type"], event["source"], event["time"], json.dumps(event["data"]), time.time()),
            ).rowcount
            if inserted:
                handle(event, self.db)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return bool(inserted)

    def count(self, where="1=1", *args):
        return self.db.execute(f"SELECT count(*) FROM event WHERE {where}", args).fetchone()[0]  # noqa: S608

    def close(self):
        self.db.close()


def parse(body):
    """The CloudEvent in a message body, or None when it is not one (dead-lettered)."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(event, dict) or any(k not in event for k in REQUIRED) or not isinstance(event["data"], dict):
        return None
    return event


class Consumer:
    """``Consumer(settings).run()`` until ``stop()``; override ``handle(event, db)`` with the ministry's logic
    (it runs once per event id, inside the store's transaction)."""

    def __init__(self, settings, store=None):
        self.settings = settings
        self.store = store or Store(settings.store_path)
        self.counts = {"stored": 0, "duplicates": 0, "dead_lettered": 0, "connections": 0}
        self._running = False
        self._connection = None

    def handle(self, event, db):
        """The ministry's own processing; the default keeps the event only."""

    # -- the loop --------------------------------------------------------------------------------------------

    def run(self):
        self._running = True
        failures = 0
        while self._running:
            try:
                self._consume()
                failures = 0
            except (AMQPConnectionError, AMQPChannelError, ConnectionError, OSError) as exc:
                failures += 1
                delay = min(
                    self.settings.backoff_max_seconds, self.settings.backoff_first_seconds * 2 ** (failures - 1)
                )
                delay *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter: replicas do not reconnect in step
                log.warning("broker connection lost (%s); reconnecting in %.1fs", type(exc).__name__, delay)
                self._sleep(delay)

    def stop(self):
        self._running = False

    def _sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while self._running and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    def _consume(self):
        params = pika.URLParameters(self.settings.amqp_url)
        params.heartbeat = self.settings.heartbeat_seconds
        params.blocked_connection_timeout = 60
        params.client_properties = {"connection_name": self.settings.connection_name or self.settings.queue}
        connection = self._connection = pika.BlockingConnection(params)
        self.counts["connections"] += 1
        try:
            channel = connection.channel()
            self._declare(channel)
            channel.basic_qos(prefetch_count=self.settings.prefetch)
            channel.basic_consume(self.settings.queue, on_message_callback=self._on_message, auto_ack=False)
            log.info("consuming %s (prefetch %d)", self.settings.queue, self.settings.prefetch)
            while self._running:
                connection.process_data_events(time_limit=0.5)
        finally:
            if connection.is_open:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001 - closing a broken connection
                    log.debug("closing the connection failed", exc_info=True)

    def _declare(self, channel):
        s = self.settings
        try:
            channel.exchange_declare(EXCHANGE, passive=True)
        except ChannelClosedByBroker as exc:
            # Antre declares it when it first publishes; until then there is nothing to bind to.
            raise ConnectionError(f"{EXCHANGE} does not exist yet") from exc
        channel.exchange_declare(s.dead_letter_exchange, exchange_type="fanout", durable=True)
        channel.queue_declare(s.dead_letter_queue, durable=True, arguments=_quorum(s))
        channel.queue_bind(s.dead_letter_queue, s.dead_letter_exchange)
        channel.queue_declare(s.queue, durable=True, arguments=queue_arguments(s))
        for key in s.bindings:
            channel.queue_bind(s.queue, EXCHANGE, routing_key=key)

    def _on_message(self, channel, method, properties, body):
        event = parse(body)
        if event is None:
            log.warning("not a CloudEvent; dead-lettered to %s", self.settings.dead_letter_queue)
            channel.basic_nack(method.delivery_tag, requeue=False)
            self.counts["dead_lettered"] += 1
            return
        if self.store.add(event, self.handle):
            self.counts["stored"] += 1
        else:
            self.counts["duplicates"] += 1
        channel.basic_ack(method.delivery_tag)  # only after the local commit


def _quorum(settings):
    return {"x-queue-type": "quorum"} if settings.quorum else None
