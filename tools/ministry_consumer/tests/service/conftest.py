"""The reference consumer and a ministry's broker access on the real RabbitMQ: each test has its own vhost,
made and removed through the management API (never the shared broker's restart)."""

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pika
import pytest
import requests

from antre_common.testing import wait_until

API = "http://guest:guest@127.0.0.1:15672/api"


class Broker:
    """One vhost: publish as Antre's relay does, look at queues, drop connections."""

    def __init__(self, vhost):
        self.vhost = vhost
        self.url = f"amqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"

    def url_for(self, user, password):
        return f"amqp://{user}:{password}@127.0.0.1:5672/{quote(self.vhost, safe='')}"

    def declare_integration(self):
        requests.put(f"{API}/exchanges/{self.vhost}/antre.integration", json={"type": "topic", "durable": True},
                     timeout=10).raise_for_status()  # fmt: skip

    def publish(self, events, raw=None):
        """CloudEvents on antre.integration with the relay's properties (``raw``: a body as it is)."""
        conn = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = conn.channel()
            channel.confirm_delivery()
            props = pika.BasicProperties(content_type="application/cloudevents+json", content_encoding="utf-8",
                                         delivery_mode=2)  # fmt: skip
            for event in events:
                channel.basic_publish("antre.integration", event["type"], json.dumps(event).encode(), props)
            if raw is not None:
                channel.basic_publish("antre.integration", "id.go.imigrasi.antre.booking.created.v1", raw, props)
        finally:
            conn.close()

    def messages(self, queue):
        response = requests.get(f"{API}/queues/{quote(self.vhost, safe='')}/{queue}", timeout=10)
        response.raise_for_status()
        return response.json().get("messages", 0)

    def connections(self, name):
        response = requests.get(f"{API}/vhosts/{quote(self.vhost, safe='')}/connections", timeout=10)
        response.raise_for_status()
        return [c for c in response.json() if (c.get("client_properties") or {}).get("connection_name") == name]

    def drop(self, name, timeout=20):
        """Close the consumer's connection from the broker's side, as a restart would."""
        found = wait_until(lambda: self.connections(name), timeout, what=f"connection {name}")
        for conn in found:
            requests.delete(f"{API}/connections/{quote(conn['name'], safe='')}", timeout=10)
        return len(found)


@pytest.fixture
def broker():
    vhost = f"antre_ministry_{uuid.uuid4().hex[:8]}"
    requests.put(f"{API}/vhosts/{vhost}", timeout=10).raise_for_status()
    requests.put(f"{API}/permissions/{vhost}/guest", json={"configure": ".*", "write": ".*", "read": ".*"},
                 timeout=10).raise_for_status()  # fmt: skip
    broker = Broker(vhost)
    broker.declare_integration()
    yield broker
    requests.delete(f"{API}/vhosts/{vhost}", timeout=10)


def cloud_event(ce_type="id.go.imigrasi.antre.booking.created.v1", **data):
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/antre/scheduling",
        "type": ce_type,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": data or {"booking_id": str(uuid.uuid4()), "office_code": "JKS"},
    }


class ConsumerProcess:
    """``python -m ministry_consumer`` as a ministry runs it."""

    def __init__(self, broker, store, name="dev", amqp_url=None):
        self.args = [sys.executable, "-m", "ministry_consumer", "--amqp-url", amqp_url or broker.url,
                     "--name", name, "--store", str(store), "--prefetch", "20"]  # fmt: skip
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.communicate(timeout=15)[0]
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.communicate()[0]
        return ""


@pytest.fixture
def consumer_process(broker, tmp_path):
    started = []

    def start(**kwargs):
        process = ConsumerProcess(broker, tmp_path / "ministry.sqlite", **kwargs).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def world():
    from types import SimpleNamespace

    return SimpleNamespace(cloud_event=cloud_event, API=API, time=time)
