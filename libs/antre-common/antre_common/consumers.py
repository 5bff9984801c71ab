"""Settling a message on a connection the broker has closed is logged, not fatal.

nameko acks a message when its worker ends (an event handler's, an RPC request's) and as soon as an RPC reply
arrives in a caller's reply listener. When RabbitMQ restarts in between, the ack can fail on the socket
(``BrokenPipeError``, ``ConnectionResetError``, kombu's ``OperationalError``); nameko ignores amqp's own
connection errors there but not these, and stops the whole container for one: the chaos tier's RabbitMQ
restart left notification down for good. The broker has already taken the message back with its channel and
delivers it again on the new connection (event handlers are idempotent; an RPC reply goes to a caller that got
it or stopped waiting), so logging is all there is to do.

Every consuming extension of a service uses these classes (``antre_common.rpc.rpc``, ``ServiceRpc``,
``event_handler`` and ``consume`` here; tests/unit/test_skeleton.py checks it). nameko shares an extension
per ``sharing_key``, its class by default; these keep nameko's own class as the key, so a container that
mixes them with nameko's (a test service with ``nameko.rpc.rpc`` beside ``ServiceBase``'s ``ping``) still
has one queue consumer and one RPC consumer: two would both read the service's RPC queue, each knowing only
its own methods, and answer the other's requests with ``MethodNotFound``.
"""

import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko import events, messaging, rpc

BROKER_ERRORS = (OperationalError, OSError, AmqpConnectionError)

log = logging.getLogger(__name__)


class QueueConsumer(messaging.QueueConsumer):
    sharing_key = messaging.QueueConsumer

    def ack_message(self, message):
        self._settle(super().ack_message, message, "ack")

    def requeue_message(self, message):
        self._settle(super().requeue_message, message, "requeue")

    @staticmethod
    def _settle(settle, message, verb):
        try:
            settle(message)
        except BROKER_ERRORS as exc:
            routing_key = message.delivery_info.get("routing_key")
            log.warning("message not settled: the broker is unreachable and delivers it again",
                        extra={"settle": verb, "error": type(exc).__name__, "routing_key": routing_key})  # fmt: skip


class RpcConsumer(rpc.RpcConsumer):
    sharing_key = rpc.RpcConsumer
    queue_consumer = QueueConsumer()


class ReplyListener(rpc.ReplyListener):
    sharing_key = rpc.ReplyListener
    queue_consumer = QueueConsumer()


class EventHandler(events.EventHandler):
    queue_consumer = QueueConsumer()


class Consumer(messaging.Consumer):
    queue_consumer = QueueConsumer()


event_handler = EventHandler.decorator
consume = Consumer.decorator
