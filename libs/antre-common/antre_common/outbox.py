"""The outbox relay: publishes committed events to the bus with publisher confirms.

An event row is written in the same transaction as the change it reports, so a crash after the commit
loses nothing: the next relay pass (in this process after a restart, or in any replica) publishes it. A
crash after publishing but before marking the row sends it again, which is why every handler is
idempotent on ``event_id``. Replicas share the work with ``FOR UPDATE SKIP LOCKED``.
"""

import json
import logging
import time
from datetime import timedelta

import eventlet
from eventlet.queue import Full, LightQueue
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY, HEADER_PREFIX
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
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY], use_confirms=True, serializer="json")

    def start(self):
        if self.model is not None:
            self._running = True
            self.container.spawn_managed_thread(self._run)

    def stop(self):
        self._running = False
        self.kick()

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
        """Publish one batch of unpublished events in commit order; returns how many."""
        model = self.model
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
            for row in rows:
                self._publish(row)
                row.published_at = utcnow()
            self.published_total.inc(len(rows))
            self.integration_total.inc(sum(1 for row in rows if row.exchange == INTEGRATION_EXCHANGE))
            oldest = session.execute(select(func.min(model.created_at)).where(model.published_at.is_(None))).scalar()
            self.oldest_pending.set((utcnow() - oldest).total_seconds() if oldest else 0)
            if time.monotonic() >= self._next_cleanup:
                # Published rows are kept a while for inspection; pruning them scans the table, so not every pass.
                session.execute(delete(model).where(model.published_at < utcnow() - self.keep_published))
                self._next_cleanup = time.monotonic() + self.cleanup_seconds
        return len(rows)

    def _publish(self, row):
        payload = dict(row.payload)
        parent = parse(payload.pop(TRACEPARENT_KEY, None))  # stored by DbHandle.add_event, never published in the body
        attributes = {"messaging.system": "rabbitmq", "messaging.operation.type": "publish"}
        attributes["messaging.destination.name"] = row.exchange or f"{self.container.service_name}.events"
        attributes["messaging.rabbitmq.destination.routing_key"] = row.event_type
        if parent is None:
            self._send(row, payload, None)
            return
        name = f"publish {row.event_type}"
        with span(
            self.container.service_name, name, parent=parent, kind=SpanKind.PRODUCER, attributes=attributes
        ) as tp:
            self._send(row, payload, tp)

    def _send(self, row, payload, traceparent):
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
        self.publisher.publish(
            body,
            exchange=exchange,
            routing_key=row.event_type,
            extra_headers=headers,
            declare=[exchange],
            message_id=str(row.event_id),
            **extra,
        )
