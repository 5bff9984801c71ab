"""Other ministries' side of antre.integration: how fast the replay stores what is published, how fast a
client reads it back through the gateway (GET /api/v1/integration/events, pages of 1,000), and how fast the
reference consumer (tools/ministry_consumer: pika, manual acks after a SQLite commit, prefetch 50) drains
its queue on the real broker.

    python -m bench integration_replay
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import requests
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from antre_common.outbox import integration_exchange
from antre_dev.ministry_access import RabbitAdmin
from antre_dev.stack import Stack, StackConfig

EVENTS = 10_000
PAGE = 1000


def cloud_event(i):
    start = datetime.now(UTC) + timedelta(days=2)
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/antre/scheduling",
        "type": "id.go.imigrasi.antre.booking.created.v1",
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "booking_id": str(uuid.uuid4()),
            "office_code": ("JKS", "SBY", "DJJ", "MDN")[i % 4],
            "service_code": "paspor_baru",
            "date": start.date().isoformat(),
            "start": start.isoformat(),
            "status": "confirmed",
        },
    }


def publish(amqp_uri, events):
    """As antre_common.outbox publishes: structured CloudEvents, persistent, with publisher confirms."""
    exchange = integration_exchange()
    with Connection(amqp_uri) as conn:
        producer = conn.Producer()
        for event in events:
            producer.publish(
                json.dumps(event), exchange=exchange, routing_key=event["type"], declare=[exchange],
                content_type="application/cloudevents+json", content_encoding="utf-8", serializer=None,
                delivery_mode=2,
            )  # fmt: skip


def wait(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.2)
    raise TimeoutError(what)


def stored(sqlite_path):
    try:
        with sqlite3.connect(sqlite_path) as db:
            return db.execute("SELECT count(*) FROM event").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def run(args):
    var = tempfile.mkdtemp(prefix="antre-bench-integration-")
    config = StackConfig.for_tests(var, start_s3=False, start_smtp=False)
    stack = Stack(config)
    stack.prepare_vhost()
    stack.prepare_databases()
    consumer = None
    try:
        for name in ("integration", "gateway"):
            stack.start_service(name, wait=False)
        for name in ("integration", "gateway"):
            stack.wait_ready(name)
        base = config.gateway_url
        # identity is not started here: the client is made with the integration service's RPC, as the
        # gateway's admin route does.
        with ClusterRpcProxy({"AMQP_URI": config.service_amqp_uri}, timeout=30) as rpc:
            client = rpc.integration.create_client("bench")
        token = requests.post(f"{base}/api/v1/auth/token", timeout=30, data={
            "grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"]}).json()["access_token"]  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}

        # The reference consumer's queue exists before the events are published (a ministry onboarded).
        access = RabbitAdmin(config.rabbit_api).onboard("bench", config.vhost)
        amqp_ministry = f"amqp://{access['user']}:{access['password']}@127.0.0.1:5672/{config.vhost}"

        events = [cloud_event(i) for i in range(EVENTS)]
        started = time.monotonic()
        publish(config.service_amqp_uri, events)
        published = time.monotonic()

        def replay_count():
            page = requests.get(f"{base}/api/v1/integration/events", headers=headers, timeout=30,
                                params={"limit": 1}).json()  # fmt: skip
            return bool(page["events"])

        wait(replay_count, 60, "first event stored")
        # Count what the store holds by reading pages (the client's own view).
        read_started = time.monotonic()
        cursor, total, pages, page_ms = None, 0, 0, []
        deadline = time.monotonic() + 600
        while total < EVENTS and time.monotonic() < deadline:
            t0 = time.monotonic()
            page = requests.get(f"{base}/api/v1/integration/events", headers=headers, timeout=60,
                                params={"limit": PAGE, **({"after": cursor} if cursor else {})}).json()  # fmt: skip
            page_ms.append((time.monotonic() - t0) * 1000)
            if page["events"]:
                total += len(page["events"])
                pages += 1
                cursor = page["next"]
            else:
                time.sleep(0.2)  # caught up with the store: wait for the rest to arrive
        stored_at = time.monotonic()
        first_pass = stored_at - read_started

        # A second full read, everything already stored: the replay's own throughput.
        t0 = time.monotonic()
        cursor, again = None, 0
        while True:
            page = requests.get(f"{base}/api/v1/integration/events", headers=headers, timeout=60,
                                params={"limit": PAGE, **({"after": cursor} if cursor else {})}).json()  # fmt: skip
            if not page["events"]:
                break
            again += len(page["events"])
            cursor = page["next"]
        replay_seconds = time.monotonic() - t0

        # The reference consumer drains its queue (all EVENTS waiting), one process, prefetch 50.
        sqlite_path = os.path.join(var, "ministry.sqlite")
        t0 = time.monotonic()
        consumer = subprocess.Popen(
            [sys.executable, "-m", "ministry_consumer", "--amqp-url", amqp_ministry, "--name", "bench",
             "--store", sqlite_path],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait(lambda: stored(sqlite_path) >= EVENTS, 600, "the consumer drained its queue")
        consumer_seconds = time.monotonic() - t0
        load = os.getloadavg()[0]
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(15)
        stack.stop_process("gateway")
        stack.stop_process("integration")
        stack.stop()

    page_ms.sort()
    store_rate, replay_rate = total / first_pass, again / replay_seconds
    consumer_rate, publish_rate = EVENTS / consumer_seconds, EVENTS / (published - started)
    p50, worst = page_ms[len(page_ms) // 2], page_ms[-1]
    return f"""{EVENTS:,} `booking.created.v1` CloudEvents (~430 bytes each) published at once on `antre.integration`
(stack vhost, publisher confirms) with the integration service (one process, max_workers 20) and the gateway
running, PostgreSQL and RabbitMQ on the same machine; load average {load:.1f} at the end (the machine is shared
with other work: figures are a floor). Method: the publish is timed; a replay client pages with `limit={PAGE}`
from the start while the store fills (store rate), then reads everything again (replay rate); then the
reference consumer (`python -m ministry_consumer`, its own ministry user, prefetch 50, SQLite store with a
commit per event) starts with all {EVENTS:,} events waiting in its quorum queue.

| measure | value |
|---|---|
| publish ({EVENTS:,} events, confirms) | {published - started:.1f} s ({publish_rate:,.0f} events/s) |
| stored by the replay (read while it filled) | {total:,} events in {first_pass:.1f} s ({store_rate:,.0f} events/s) |
| replay read, all stored, pages of {PAGE} via gateway | {again:,} in {replay_seconds:.1f} s ({replay_rate:,.0f}/s) |
| one page of {PAGE}, p50 / max | {p50:.0f} ms / {worst:.0f} ms |
| reference consumer, queue of {EVENTS:,} drained | {consumer_seconds:.1f} s (**{consumer_rate:,.0f} events/s**) |

The store rate is bounded by the integration service's consumer (one INSERT … ON CONFLICT DO NOTHING per
event, max_workers 20); the replay reads by the `(tx, seq)` index, so a page costs the same at any depth. The
reference consumer acknowledges each event after its own SQLite commit: a ministry batching commits, or
running one consumer per routing key, goes faster; this one is written to be copied, not to be fast.
"""
