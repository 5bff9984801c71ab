"""The broker drops every connection (as in a RabbitMQ restart): every process reconnects on its own."""

import time

import requests

from antre_common.testing import wait_until
from antre_dev.stack import SERVICES


def connections(stack, timeout=20):
    """The suite's connections, as the management API lists them (its statistics lag by a few seconds)."""
    c = stack.config
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(f"{c.rabbit_api}/vhosts/{c.vhost}/connections", timeout=10)
        response.raise_for_status()
        if response.json() or time.monotonic() > deadline:
            return response.json()
        time.sleep(1)


def all_up(gateway):
    response = gateway.get("/api/v1/status")
    return response.status_code == 200 and all(s["status"] == "up" for s in response.json()["services"])


def test_every_process_reconnects_after_the_broker_drops_its_connections(stack, gateway):
    assert all_up(gateway)
    before = connections(stack)
    assert before, "the suite holds connections to its vhost"
    for conn in before:
        name = requests.utils.quote(conn["name"], safe="")
        requests.delete(f"{stack.config.rabbit_api}/connections/{name}", timeout=10)

    wait_until(lambda: all_up(gateway), 30, what="every service up again")
    assert all_up(gateway), "services did not come back within 30 s of the broker dropping them"
    for name in ("gateway", *SERVICES):
        assert requests.get(f"{stack.internal_url(name)}/readyz", timeout=10).status_code == 200
