"""The outbox relay: publishes committed events to the bus with publisher confirms.

An event row is written in the same transaction as the change it reports, so a crash after the commit
loses nothing: the next relay pass (in this process after a restart, or in any replica) publishes it. A
crash after publishing but before marking the row sends it again, which is why every handler is
idempotent on ``event_id``. Replicas share the work with ``FOR UPDATE SKIP LOCKED``.

A pass publishes its whole batch on one kept-open channel in confirm mode and then waits for the broker's
confirms together (one round trip a batch, not one a message). Only rows the broker confirmed are marked
published; when a batch fails half-way (connection lost, channel closed, a message nacked) the confirmed
rows are still marked, in the same commit, and the rest are retried by the next pass, so the failure sends
none of the confirmed ones again.
"""

import json
import logging
import time
from datetime import timedelta

import eventlet
from eventlet.queue import Full, LightQueue
from kombu import Connection, Exchange, Producer
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_TRANSPORT_OPTIONS,
    HEADER_PREFIX,
    PERSISTENT,
)
from nameko.extensions import SharedExtension
from nameko.standalone.events import get_event_exchange
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge
from sqlalchemy import delete, func, select

from antre_common.envelope import utcnow
from antre_common.metrics import metric, service_metric_name
from antre_common.tracing import TRACEPARENT_KEY, parse, span

log = logging.getLogger(__name__)

INTEGRATION_EXCHANGE = "antre.integration"
BATCH = 200
CONFIRM_SECONDS = 30.0  # a batch not confirmed by then counts as failed (its unconfirmed rows are retried)


class BatchFailed(Exception):
    """Part of a batch was not confirmed; the confirmed part is marked published all the same."""


def integration_exchange():
    """The durable topic exchange other ministries bind to."""
    return Exchange(INTEGRATION_EXCHANGE, type="topic", durable=True, auto_delete=False)


class OutboxRelay(SharedExtension):
    poll_seconds = 1.0
    keep_published = timedelta(hours=24)
    cleanup_seconds = 600.0

    def __init__(self):
        self.sessionmaker = None
        self.model = None
        self._wake = LightQueue(maxsize=1)
        self._running = False
        self._next_cleanup = 0.0
        self._connection = self._producer = None
        self._last_tag = self._first_tag = 0
        self._acked, self._nacked = set(), set()  # delivery tags of the batch under way the broker confirmed

    def register(self, sessionmaker, model):
        self.sessionmaker = sessionmaker
        self.model = model

    def setup(self):
        service = self.container.service_name
        self.published_total = metric(
            Counter, service_metric_name(service, "outbox_published_total"), "Events relayed from the outbox."
        )
        self.integration_total = metric(
            Counter,
            service_metric_name(service, "outbox_integration_published_total"),
            "Events relayed to antre.integration, the feed other ministries read (part of outbox_published_total).",
        )
        self.oldest_pending = metric(
            Gauge,
            service_metric_name(service, "outbox_oldest_pending_seconds"),
            "Age of the oldest event still waiting in the outbox (0 when none): a stuck relay grows it.",
        )
        config = self.container.config
        self.poll_seconds = float(config.get("OUTBOX_POLL_SECONDS", self.poll_seconds))
        self.own_exchange = get_event_exchange(self.container.service_name, config)
        self.amqp_uri, self.ssl = config[AMQP_URI_CONFIG_KEY], config.get(AMQP_SSL_CONFIG_KEY)

    def start(self):
        if self.model is not None:
            self._running = True
            self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.kick()
        self._disconnect()

    def kill(self):
        self.stop()

    def kick(self):
        try:
            self._wake.put_nowait(True)
        except Full:
            pass  # a wake-up is already pending

    def _run(self):
        failures = 0
        while self._running:
            try:
                published = self.publish_pending()
                failures = 0
            except Exception:
                failures += 1
                log.exception("outbox relay failed; retrying", extra={"failures": failures})
                eventlet.sleep(min(30, 0.5 * 2**failures))
                continue
            if published < BATCH:
                try:
                    self._wake.get(timeout=self.poll_seconds)
                except eventlet.queue.Empty:
                    pass

    def publish_pending(self):
        """Publish one batch of unpublished events in commit order; returns how many were in it. The rows
        the broker confirmed are marked published even when the batch fails half-way; then it raises."""
        model = self.model
        failure = None
        with self.sessionmaker() as session, session.begin():
            rows = (
                session.execute(
                    select(model)
                    .where(model.published_at.is_(None))
                    .order_by(model.created_at)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            confirmed, failure = self._publish_batch(rows) if rows else (rows, None)
            published_at = utcnow()
            for row in confirmed:
                row.published_at = published_at
            self.published_total.inc(len(confirmed))
            self.integration_total.inc(sum(1 for row in confirmed if row.exchange == INTEGRATION_EXCHANGE))
            oldest = session.execute(select(func.min(model.created_at)).where(model.published_at.is_(None))).scalar()
            self.oldest_pending.set((utcnow() - oldest).total_seconds() if oldest else 0)
            if time.monotonic() >= self._next_cleanup:
                # Published rows are kept a while for inspection; pruning them scans the table, so not every pass.
                session.execute(delete(model).where(model.published_at < utcnow() - self.keep_published))
                self._next_cleanup = time.monotonic() + self.cleanup_seconds
        if failure is not None:
            raise BatchFailed(f"{len(confirmed)} of {len(rows)} events confirmed") from failure
        return len(rows)

    def _publish_batch(self, rows):
        """``(rows the broker confirmed, the error that stopped the batch or None)``."""
        tags = {}
        self._acked, self._nacked = set(), set()
        try:
            producer = self._confirming_producer()
            # Exchanges first (declared once a connection): a declaration refused closes the channel, and
            # with it the confirms of what went before; nothing has been sent yet then.
            integration = any(row.exchange == INTEGRATION_EXCHANGE for row in rows)
            for exchange in (self.own_exchange, *([integration_exchange()] if integration else [])):
                producer.maybe_declare(exchange)
            self._first_tag = self._last_tag + 1
            for row in rows:
                self._publish(producer, row)
                self._last_tag += 1  # the broker numbers a confirm channel's messages 1, 2, …
                tags[self._last_tag] = row
            deadline = time.monotonic() + CONFIRM_SECONDS
            while not set(tags) <= self._acked | self._nacked:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no confirm from the broker in time")
                self._connection.drain_events(timeout=remaining)
            if self._nacked:
                raise BatchFailed(f"the broker refused {len(self._nacked)} events")
            error = None
        except Exception as exc:  # noqa: BLE001 - whatever stopped the batch, keep what was confirmed
            error = exc
            self._disconnect()  # a fresh connection and channel for the next pass
        return [row for tag, row in tags.items() if tag in self._acked and tag not in self._nacked], error

    def _confirmed(self, tags):
        """A basic.ack / basic.nack callback: ``multiple`` settles every tag up to this one that is still
        outstanding (one acked before is not nacked by a later ``multiple`` nack, nor the other way round)."""

        def mark(tag, multiple):
            settled = self._acked | self._nacked
            tags().update(t for t in (range(self._first_tag, tag + 1) if multiple else (tag,)) if t not in settled)

        return mark

    def _confirming_producer(self):
        """A producer on a channel in confirm mode, kept open between passes."""
        if self._producer is None:
            options = dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=False)  # confirms collected per batch
            connection = Connection(self.amqp_uri, ssl=self.ssl, transport_options=options)
            try:
                channel = connection.channel()
                channel.confirm_select()
                channel.events["basic_ack"].add(self._confirmed(lambda: self._acked))
                channel.events["basic_nack"].add(self._confirmed(lambda: self._nacked))
            except Exception:
                connection.release()
                raise
            self._connection, self._producer, self._last_tag = connection, Producer(channel, serializer="json"), 0
        return self._producer

    def _disconnect(self):
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001, S110 - it is being thrown away
                pass

    def _publish(self, producer, row):
        payload = dict(row.payload)
        parent = parse(payload.pop(TRACEPARENT_KEY, None))  # stored by DbHandle.add_event, never published in the body
        if parent is None:
            self._send(producer, row, payload, None)
            return
        attributes = {"messaging.system": "rabbitmq", "messaging.operation.type": "publish"}
        attributes["messaging.destination.name"] = row.exchange or f"{self.container.service_name}.events"
        attributes["messaging.rabbitmq.destination.routing_key"] = row.event_type
        name = f"publish {row.event_type}"
        with span(
            self.container.service_name, name, parent=parent, kind=SpanKind.PRODUCER, attributes=attributes
        ) as tp:
            self._send(producer, row, payload, tp)

    def _send(self, producer, row, payload, traceparent):
        headers = {f"{HEADER_PREFIX}.request_id": row.request_id} if row.request_id else {}
        if row.exchange == INTEGRATION_EXCHANGE:
            # CloudEvents structured mode: the body is the event, typed by its content type. Other ministries
            # get the W3C header itself (the AMQP binding of trace context), not nameko's prefixed one.
            if traceparent:
                headers[TRACEPARENT_KEY] = traceparent
            exchange = integration_exchange()
            body, extra = (
                json.dumps(payload),
                {
                    "content_type": "application/cloudevents+json",
                    "content_encoding": "utf-8",
                    "serializer": None,
                },
            )
        else:
            if traceparent:
                headers[f"{HEADER_PREFIX}.{TRACEPARENT_KEY}"] = traceparent
            exchange, body, extra = self.own_exchange, payload, {}
        producer.publish(
            body,
            exchange=exchange,
            routing_key=row.event_type,
            headers=headers,
            declare=[exchange],
            message_id=str(row.event_id),
            delivery_mode=PERSISTENT,
            retry=False,
            **extra,
        )
