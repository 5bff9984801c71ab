"""A ministry's own broker user (antre_dev.ministry_access): it consumes its own queue bound to
antre.integration, and may not read, bind, declare or publish anywhere else; revoking it ends its access."""

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker, ProbableAccessDeniedError, ProbableAuthenticationError

from antre_common.testing import wait_until
from antre_dev.ministry_access import RabbitAdmin
from ministry_consumer.consumer import Settings


def refused(url, action):
    """True when the broker refuses ``action(channel)`` with 403 ACCESS_REFUSED."""
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        action(conn.channel())
    except ChannelClosedByBroker as exc:
        return exc.reply_code == 403
    finally:
        if conn.is_open:
            conn.close()
    return False


@pytest.fixture
def suite_exchanges(broker):
    """What the suite has in a vhost besides antre.integration: its events, its RPC, a service's queue."""
    conn = pika.BlockingConnection(pika.URLParameters(broker.url))
    channel = conn.channel()
    channel.exchange_declare("scheduling.events", exchange_type="topic", durable=True)
    channel.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    channel.queue_declare("evt-scheduling-booking_created--notification.on_booking_created", durable=True)
    conn.close()


def test_a_ministry_reads_its_own_queue_and_nothing_else(broker, consumer_process, tmp_path, world, suite_exchanges):
    admin = RabbitAdmin(world.API)
    access = admin.onboard("kemenkes", broker.vhost)
    other = admin.onboard("bps", broker.vhost)
    url = broker.url_for(access["user"], access["password"])

    consumer = consumer_process(name="kemenkes", amqp_url=url)  # the reference consumer, with its own login
    events = [world.cloud_event() for _ in range(3)]
    wait_until(lambda: broker.connections("ministry.kemenkes.events"), 20, what="the ministry connected")
    broker.publish(events)
    wait_until(lambda: broker.messages(other["queue"]) == 3, 20, what="the other ministry's copy waiting")
    wait_until(lambda: broker.messages(access["queue"]) == 0, 20, what="its own queue read")
    assert "'stored': 3" in consumer.stop()

    own = Settings(name="kemenkes")
    checks = {
        "consume another ministry's queue": lambda ch: ch.basic_get(other["queue"]),
        "consume a service's queue": lambda ch: ch.basic_get(
            "evt-scheduling-booking_created--notification.on_booking_created"
        ),
        "bind to the suite's events": lambda ch: ch.queue_bind(own.queue, "scheduling.events", routing_key="#"),
        "bind to the RPC exchange": lambda ch: ch.queue_bind(own.queue, "nameko-rpc", routing_key="#"),
        "declare a queue outside its prefix": lambda ch: ch.queue_declare("scheduling.spy", durable=True),
        "declare on the suite's exchange": lambda ch: ch.exchange_declare("scheduling.events", "topic", durable=True),
        "publish to antre.integration": lambda ch: (
            ch.confirm_delivery(),
            ch.basic_publish("antre.integration", "id.go.imigrasi.antre.booking.created.v1", b"{}"),
        ),
        "publish to the suite's events": lambda ch: (
            ch.confirm_delivery(),
            ch.basic_publish("scheduling.events", "booking_created", b"{}"),
        ),
        "bind antre.integration with a key outside Antre's types": lambda ch: ch.queue_bind(
            own.queue, "antre.integration", routing_key="#"
        ),
        "delete antre.integration": lambda ch: ch.exchange_delete("antre.integration"),
    }
    allowed = [what for what, action in checks.items() if not refused(url, action)]
    assert allowed == [], f"a ministry's user may {allowed}"
    assert not refused(
        url, lambda ch: ch.queue_bind(own.queue, "antre.integration", routing_key="id.go.imigrasi.antre.ticket.*.v1")
    )

    admin.revoke("kemenkes", broker.vhost)
    with pytest.raises((ProbableAuthenticationError, ProbableAccessDeniedError)):
        pika.BlockingConnection(pika.URLParameters(url))


def test_kubernetes_gives_a_ministry_the_same_permissions_as_this_script():
    from pathlib import Path

    import yaml

    from antre_dev.ministry_access import permissions, topic_permissions

    path = Path(__file__).resolve().parents[4] / "deploy/k8s/components/ministries/ministry-bps.yaml"
    objects = {o["kind"]: o for o in yaml.safe_load_all(path.read_text())}
    assert objects["Permission"]["spec"]["permissions"] == permissions("bps")
    assert objects["TopicPermission"]["spec"]["permissions"] == topic_permissions()
