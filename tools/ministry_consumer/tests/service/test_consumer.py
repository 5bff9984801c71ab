"""The reference consumer against the real broker: it stores each CloudEvent once (a duplicate delivery is
acknowledged and ignored), dead-letters what it cannot parse, and survives its connection being dropped
(as in a broker restart) without losing or doubling anything."""

import sqlite3
import threading

from antre_common.testing import wait_until
from ministry_consumer.consumer import Consumer, Settings, Store


def stored(path):
    try:
        with sqlite3.connect(path) as db:
            return [row[0] for row in db.execute("SELECT id FROM event ORDER BY received_at")]
    except sqlite3.OperationalError:
        return []


def test_one_command_stores_each_event_once_and_dead_letters_garbage(broker, consumer_process, tmp_path, world):
    consumer = consumer_process()
    wait_until(lambda: broker.connections("ministry.dev.events"), 20, what="the consumer connected")
    events = [world.cloud_event() for _ in range(5)]
    broker.publish(events + [events[2]], raw=b"\xff not json")  # one duplicate delivery, one unparsable body
    broker.publish([], raw=b'{"specversion": "1.0", "id": "x"}')  # JSON, but not a CloudEvent
    path = tmp_path / "ministry.sqlite"
    wait_until(lambda: sorted(stored(path)) == sorted(e["id"] for e in events), 20, what="five events stored")
    wait_until(lambda: broker.messages("ministry.dev.dead") == 2, 20, what="two bodies dead-lettered")
    wait_until(lambda: broker.messages("ministry.dev.events") == 0, 20, what="everything acknowledged")
    output = consumer.stop()
    assert "'stored': 5, 'duplicates': 1, 'dead_lettered': 2" in output, output


def test_a_dropped_connection_is_waited_out_and_nothing_is_lost_or_doubled(broker, consumer_process, tmp_path, world):
    consumer = consumer_process()
    path = tmp_path / "ministry.sqlite"
    first = [world.cloud_event() for _ in range(3)]
    wait_until(lambda: broker.connections("ministry.dev.events"), 20, what="the consumer connected")
    broker.publish(first)
    wait_until(lambda: len(stored(path)) == 3, 20, what="the first events")
    assert broker.drop("ministry.dev.events") == 1
    during = [world.cloud_event() for _ in range(4)]
    broker.publish(during)  # kept by the durable queue while the consumer is away
    wait_until(lambda: sorted(stored(path)) == sorted(e["id"] for e in first + during), 30, what="all seven")
    assert consumer.proc.poll() is None, "the consumer must keep running"
    output = consumer.stop()
    assert "'connections': 2" in output and "reconnecting" in output, output


def test_an_event_redelivered_after_a_drop_mid_handling_is_kept_once(broker, tmp_path, world):
    """The connection drops after the local commit but before the ack: the broker delivers the event again,
    and the store recognises it."""
    reached, release = threading.Event(), threading.Event()

    class SlowConsumer(Consumer):
        def handle(self, event, db):
            if not reached.is_set():
                reached.set()
                release.wait(20)

    settings = Settings(amqp_url=broker.url, name="slow", store_path=str(tmp_path / "slow.sqlite"),
                        backoff_first_seconds=0.2)  # fmt: skip
    consumer = SlowConsumer(settings)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: broker.connections("ministry.slow.events"), 20, what="the consumer connected")
        event = world.cloud_event()
        broker.publish([event])
        assert reached.wait(20)
        broker.drop("ministry.slow.events")
        wait_until(lambda: not broker.connections("ministry.slow.events"), 20, what="the connection gone")
        release.set()  # commits locally, then the ack fails on the dead connection
        wait_until(lambda: consumer.counts["duplicates"] == 1, 30, what="the redelivery recognised")
        assert consumer.counts["stored"] == 1 and Store(settings.store_path).count() == 1
        assert consumer.counts["connections"] >= 2
    finally:
        consumer.stop()
        thread.join(10)
