"""Integration on real RabbitMQ and PostgreSQL: the service, an AMQP publisher standing in for the outbox relay
of the other services, and a scheduling double answering get_office."""

import json
import uuid

import pytest
from kombu import Connection
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine

from antre_common.envelope import utcnow
from antre_common.errors import parse_remote
from antre_common.outbox import integration_exchange
from integration.service import IntegrationService

# The serializer of structured CloudEvents, as config.yaml declares it.
CLOUDEVENTS = {
    "SERIALIZERS": {
        "cloudevents": {
            "encoder": "kombu.utils.json.dumps",
            "decoder": "kombu.utils.json.loads",
            "content_type": "application/cloudevents+json",
            "content_encoding": "utf-8",
        }
    },
    "ACCEPT": ["json", "cloudevents"],
}


class FakeScheduling:
    name = "scheduling"

    @rpc
    def get_office(self, code):
        return {"code": code, "timezone": {"DJJ": "Asia/Jayapura"}.get(code, "Asia/Jakarta")}


@pytest.fixture
def config(service_config, test_tokens):
    return dict(service_config, **CLOUDEVENTS, **test_tokens.config)


@pytest.fixture
def container(container_factory, config):
    peer = container_factory(FakeScheduling, config)
    peer.start()
    container = container_factory(IntegrationService, config)
    container.start()
    return container


@pytest.fixture
def engine(config):
    engine = create_engine(config["DATABASE_URL"])
    yield engine
    engine.dispose()


ADMIN = {"user_id": "0a0a0a0a-0000-4000-8000-00000000ad01", "role": "admin", "office_code": None}


@pytest.fixture
def rpc_proxy(config, container, test_tokens):
    """Integration over the bus with an admin's access token in the context, as the gateway's admin routes."""
    with ClusterRpcProxy(config, timeout=30, context_data=test_tokens.context(ADMIN, caller=None)) as proxy:
        yield proxy.integration


def cloud_event(ce_type="id.go.imigrasi.antre.booking.created.v1", **data):
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/antre/scheduling",
        "type": ce_type,
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": data or {"booking_id": str(uuid.uuid4())},
    }


class Relay:
    """Publishes CloudEvents on antre.integration exactly as antre_common.outbox does."""

    def __init__(self, amqp_uri):
        self.conn = Connection(amqp_uri)
        self.producer = self.conn.Producer()

    def publish(self, event, body=None):
        self.producer.publish(
            body if body is not None else json.dumps(event),
            exchange=integration_exchange(),
            routing_key=event["type"],
            declare=[integration_exchange()],
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
            serializer=None,
            message_id=event["id"],
        )
        return event


@pytest.fixture
def relay(config, container):
    relay = Relay(config["AMQP_URI"])
    yield relay
    relay.conn.release()


def code_of(call, *args, **kwargs):
    """The stable code of the ServiceError a call raised (fails the test when it succeeded)."""
    with pytest.raises(RemoteError) as info:
        call(*args, **kwargs)
    return parse_remote(info.value.value)["code"]


@pytest.fixture
def world():
    from types import SimpleNamespace

    return SimpleNamespace(cloud_event=cloud_event, code_of=code_of)
