"""The system tier: the whole suite as real processes (SeaweedFS, SMTP sink, the development bank, five
services, gateway) on free ports, with its own RabbitMQ vhost and databases, started once per test session."""

import json

import pytest
from kombu import Connection, Queue

from antre_common.outbox import integration_exchange
from antre_common.testing import HttpClient
from antre_dev.mailbox import Mailbox
from antre_dev.stack import Stack, StackConfig


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    # The gateway keeps availability answers 1 s in production; here 60 s, so a test that reads availability
    # after a change passes only if the change dropped the answer (none can pass by waiting for the TTL).
    config = StackConfig.for_tests(tmp_path_factory.mktemp("stack"), env={"GATEWAY_AVAILABILITY_SECONDS": "60"})
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
def integration_contract(stack):
    """Every CloudEvent the suite emits on antre.integration during this session keeps its contract: a queue
    bound to every routing key collects them, and at the end each must have a schema, validate against it
    strictly (no undeclared field) and hold nothing that looks like personal data (tests/unit checks the
    schemas themselves). A durable queue, read on a fresh connection at the end: a test that makes the broker
    drop every connection does not lose it."""
    from gateway.integration_contract import Contract, personal_data

    queue = Queue("system-tests.contract", integration_exchange(), routing_key="#", durable=True)
    with Connection(stack.config.service_amqp_uri) as conn:
        queue(conn.channel()).declare()
    yield
    problems, seen = [], 0
    contract = Contract()
    with Connection(stack.config.service_amqp_uri) as conn:
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            seen += 1
            event = json.loads(message.body)
            found = contract.errors(event, strict=True) + personal_data(event)
            problems += [f"{event.get('type')} {event.get('id')}: {p}" for p in found]
    assert not problems, "events on antre.integration broke the contract:\n" + "\n".join(problems[:50])
    print(f"\nintegration contract: {seen} CloudEvents checked")


@pytest.fixture
def gateway(stack):
    """HTTP client of the gateway."""
    return HttpClient(stack.config.gateway_url)


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.config.mail_dir)
