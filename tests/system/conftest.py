"""The system tier: the whole suite as real processes (SeaweedFS, SMTP sink, four services, gateway) on free
ports, with its own RabbitMQ vhost and databases, started once per test session."""

import email
from pathlib import Path

import pytest

from antre_common.testing import HttpClient, wait_until
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


class Mailbox:
    """The SMTP sink's folder: every mail the suite sent, as parsed messages."""

    def __init__(self, directory: Path):
        self.directory = directory

    def messages(self):
        if not self.directory.exists():
            return []
        return [email.message_from_bytes(p.read_bytes()) for p in sorted(self.directory.glob("*.eml"))]

    def wait_for(self, predicate, timeout=20):
        return wait_until(lambda: [m for m in self.messages() if predicate(m)], timeout, what="a matching mail")


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.config.mail_dir)
