"""The system tier: the whole suite as real processes (SeaweedFS, SMTP sink, the development bank, five
services, gateway) on free ports, with its own RabbitMQ vhost and databases, started once per test session."""

import pytest

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


@pytest.fixture
def gateway(stack):
    """HTTP client of the gateway."""
    return HttpClient(stack.config.gateway_url)


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.config.mail_dir)
