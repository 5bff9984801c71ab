"""The chaos tier: the whole suite as processes (its own stack, separate from the system tier's, because
these tests break it), a crowd of citizens driving it through the gateway while one part at a time is
killed, restarted or stopped, and the invariants checked after the suite heals."""

import uuid

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine

from antre_common.testing import HttpClient
from antre_dev.mailbox import Mailbox
from antre_dev.stack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    config = StackConfig.for_tests(tmp_path_factory.mktemp("chaos"))
    with Stack(config) as running:
        yield running


@pytest.fixture
def gateway(stack):
    return HttpClient(stack.config.gateway_url)


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.config.mail_dir)


@pytest.fixture
def ministry(stack):
    """A durable queue bound to antre.integration, as another ministry binds one (it survives a broker
    restart, so what is published during the test is all there at the end)."""
    with Connection(stack.config.service_amqp_uri) as conn:
        exchange = Exchange("antre.integration", type="topic", durable=True)
        queue = Queue(f"chaos-ministry-{uuid.uuid4().hex[:8]}", exchange, routing_key="id.go.imigrasi.antre.#",
                      durable=True, auto_delete=False)  # fmt: skip
        queue(conn.channel()).declare()
    yield queue
    with Connection(stack.config.service_amqp_uri) as conn:
        queue(conn.channel()).delete()


@pytest.fixture
def scheduling_db(stack):
    engine = create_engine(stack.config.database_url("scheduling"))
    yield engine
    engine.dispose()
