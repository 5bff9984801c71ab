"""An RPC worker whose reply cannot be published (the broker is down or restarting) must not stop the
service: nameko's own entrypoint lets the error kill the whole container (the chaos tier's RabbitMQ restart
left scheduling and documents down)."""

import logging
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionForced
from kombu.exceptions import OperationalError

from antre_common.rpc import CallerRpc

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("error", [OperationalError("[Errno 111] ECONNREFUSED"), ConnectionResetError(104, "reset"),
                                   ConnectionForced("broker shutdown")])  # fmt: skip
def test_a_reply_the_broker_cannot_take_is_logged_and_the_worker_ends_normally(error, caplog):
    def unreachable(message, result, exc_info):
        raise error

    entrypoint = CallerRpc()
    entrypoint.rpc_consumer = SimpleNamespace(handle_result=unreachable)
    with caplog.at_level(logging.WARNING, logger="antre_common.rpc"):
        assert entrypoint.handle_result("message", "worker", {"ok": 1}, None) == ({"ok": 1}, None)
    assert "reply not sent" in caplog.text


def test_other_errors_of_the_reply_still_surface():
    def broken(message, result, exc_info):
        raise TypeError("not serialisable")

    entrypoint = CallerRpc()
    entrypoint.rpc_consumer = SimpleNamespace(handle_result=broken)
    with pytest.raises(TypeError):
        entrypoint.handle_result("message", "worker", object(), None)
