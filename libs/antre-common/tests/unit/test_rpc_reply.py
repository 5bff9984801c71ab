"""An RPC worker whose reply cannot be published (the broker is down or restarting) must not stop the
service: nameko's own entrypoint lets the error kill the whole container (the chaos tier's RabbitMQ restart
left scheduling and documents down). Nor must an ack on a connection the broker closed (notification's reply
listener stopped the same way)."""

import logging
from types import SimpleNamespace

import pytest
from amqp.exceptions import ConnectionForced
from kombu.exceptions import MessageStateError, OperationalError

from antre_common.consumers import QueueConsumer, ReplyListener
from antre_common.errors import ServiceUnavailable
from antre_common.rpc import CallerRpc, call_with_deadline

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


def dead_connection_message(error, correlation_id="c-1"):
    """A delivery whose channel still names its connection but whose ack fails: the broker went away."""

    def ack():
        raise error

    channel = SimpleNamespace(connection=object())
    properties = {"correlation_id": correlation_id}
    return SimpleNamespace(
        channel=channel, ack=ack, requeue=ack, delivery_info={"routing_key": "x"}, properties=properties
    )


# amqp's own connection errors nameko already ignores; a socket error or kombu's wrapper of one it does not.
@pytest.mark.parametrize(
    "error", [BrokenPipeError(32, "EPIPE"), ConnectionResetError(104, "reset"), OperationalError("EPIPE")]
)
def test_an_ack_or_requeue_on_a_dead_connection_is_logged_not_raised(error, caplog):
    consumer = QueueConsumer()
    with caplog.at_level(logging.WARNING, logger="antre_common.consumers"):
        consumer.ack_message(dead_connection_message(error))
        consumer.requeue_message(dead_connection_message(error))
    assert caplog.text.count("message not settled") == 2


def test_other_ack_errors_still_surface():
    with pytest.raises(MessageStateError):
        QueueConsumer().ack_message(dead_connection_message(MessageStateError("already acknowledged")))


def test_a_reply_whose_ack_fails_still_reaches_the_waiting_caller():
    listener = ReplyListener()
    waiting = listener.get_reply_event("c-1")
    listener.handle_message({"result": 42, "error": None}, dead_connection_message(BrokenPipeError(32, "EPIPE")))
    assert waiting.wait() == {"result": 42, "error": None}


@pytest.mark.parametrize(
    "error", [ConnectionForced("shutdown"), BrokenPipeError(32, "EPIPE"), OperationalError("down")]
)
def test_a_request_the_broker_cannot_take_is_503_not_500(error):
    def refused(*args, **kwargs):
        raise error

    method = SimpleNamespace(call_async=refused, reply_listener=None)
    with pytest.raises(ServiceUnavailable) as exc:
        call_with_deadline(method, "scheduling", 1.0)
    assert exc.value.params["service"] == "scheduling"
