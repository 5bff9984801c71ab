"""RPC with a deadline, and the ``rpc`` entrypoint every service uses.

nameko's ``RpcProxy`` waits for a reply forever; a caller here waits at most ``timeout`` seconds (per proxy,
or per call with ``timeout=``) and gets ``ServiceUnavailable`` instead. The request itself expires in the
queue after the same time, so a service that comes back does not work through requests nobody waits for.

Every request carries the AMQP ``user_id`` property: the caller's broker login, which RabbitMQ validates
against the connection (a different value closes the channel). ``CallerRpc`` hands it to the worker as the
calling service (``antre_common.auth``), never a header of the same name.
"""

import copy
import logging
import time

import eventlet
from cachetools import TTLCache
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY, HEADER_PREFIX
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, Rpc, RpcProxy
from opentelemetry.trace import SpanKind

from antre_common.auth import CALLER_KEY
from antre_common.consumers import BROKER_ERRORS, ReplyListener, RpcConsumer
from antre_common.context import DEADLINE_KEY
from antre_common.errors import ServiceError, ServiceUnavailable
from antre_common.tracing import TRACEPARENT_KEY, span

DEFAULT_TIMEOUT = 5.0
# How long a consumer keeps reference data (offices, services: changed a few times a year) for its messages
# and checklists; a minute-old copy is fine there, and scheduling is not asked again on every booking.
REFERENCE_SECONDS = 60
_MISSING = object()


log = logging.getLogger(__name__)


class CallerRpc(Rpc):
    """nameko's RPC entrypoint, with the calling service taken from the broker-validated ``user_id`` property
    of the request (RabbitMQ's validated user-id) instead of anything its headers say."""

    rpc_consumer = RpcConsumer()  # acks that fail with the broker are logged (antre_common.consumers)

    def unpack_message_headers(self, message):
        data = super().unpack_message_headers(message)
        data.pop(CALLER_KEY, None)
        user_id = message.properties.get("user_id")
        if user_id:
            data[CALLER_KEY] = user_id
        return data

    def handle_result(self, message, worker_ctx, result, exc_info):
        """A reply that cannot be published (the broker is down or restarting) is lost, not fatal: nameko
        would stop the whole container for it. The request stays unacked on its dead channel, so the broker
        delivers it again once the process has reconnected; meanwhile the caller's deadline answers 503."""
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as exc:
            log.warning("reply not sent: the broker is unreachable", extra={"error": type(exc).__name__})
            return result, exc_info


def rpc(fn=None, **kwargs):
    """nameko's ``@rpc`` (as ``CallerRpc``) for which a ``ServiceError`` is an answer, not a failure: it is
    logged as a warning instead of an ERROR traceback (a flash crowd answers thousands of SLOT_FULL)."""
    kwargs.setdefault("expected_exceptions", ServiceError)
    return CallerRpc.decorator(**kwargs)(fn) if fn is not None else CallerRpc.decorator(**kwargs)


def broker_user(config):
    """The login of this process's broker connection: what RabbitMQ accepts as the ``user_id`` it sends."""
    return Connection(config[AMQP_URI_CONFIG_KEY]).userid


class ServiceRpc(RpcProxy):
    """``identity = ServiceRpc("identity")``; config ``RPC_TIMEOUT_SECONDS`` overrides the default.

    ``cached={"get_service": 60}`` keeps the answers of those methods (per arguments, for that many seconds)
    for every worker of the process: reference data that a consumer would otherwise ask for on every event.
    Errors are not kept."""

    rpc_reply_listener = ReplyListener()  # a reply acked on a dead connection is logged, not fatal

    def __init__(self, target_service, timeout=None, cached=None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout
        self.caches = {method: TTLCache(maxsize=1024, ttl=seconds) for method, seconds in (cached or {}).items()}

    def setup(self):
        super().setup()
        if self.timeout is None:
            self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", DEFAULT_TIMEOUT))
        self.options.setdefault("user_id", broker_user(self.container.config))

    def get_dependency(self, worker_ctx):
        return DeadlineProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout, self.caches)


class DeadlineProxy:
    def __init__(self, proxy, service_name, timeout, caches=None):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout
        self._caches = caches or {}

    def __getattr__(self, method_name):
        call = self._call(method_name)
        cache = self._caches.get(method_name)
        if cache is None:
            return call

        def cached_call(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            answer = cache.get(key, _MISSING)  # one read: an entry may expire between two
            if answer is _MISSING:
                answer = cache[key] = call(*args, **kwargs)
            return copy.deepcopy(answer)  # a caller that edits its answer must not edit the cache

        return cached_call

    def _call(self, method_name):
        proxy = self._proxy

        def call(*args, timeout=None, **kwargs):
            timeout = timeout or self._timeout
            # The message expires in the queue when the caller stops waiting (seconds, as kombu takes it).
            options = dict(proxy.options, expiration=timeout)
            method = DeadlineMethodProxy(
                proxy.worker_ctx, proxy.service_name, method_name, proxy.reply_listener, **options
            )
            method.deadline = time.time() + timeout
            caller = getattr(proxy.worker_ctx, "service_name", None) or "unknown"
            attributes = {"rpc.system": "nameko", "rpc.service": self._service_name, "rpc.method": method_name}
            with span(caller, f"{self._service_name}.{method_name}", kind=SpanKind.CLIENT, attributes=attributes) as tp:
                method.traceparent = tp
                return call_with_deadline(method, self._service_name, timeout, *args, **kwargs)

        return call


class DeadlineMethodProxy(MethodProxy):
    """Sends the caller's deadline (epoch seconds) with the request, so the callee can refuse to commit a
    change that nobody will hear of: a booking committed after the gateway answered 503 would be a seat
    taken behind the citizen's back (see ``DbHandle.transaction``)."""

    deadline = None
    traceparent = None  # the client span's (antre_common.tracing): the callee's span becomes its child

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        headers.pop(f"{HEADER_PREFIX}.{CALLER_KEY}", None)  # the callee learns who calls from the broker alone
        headers[f"{HEADER_PREFIX}.{DEADLINE_KEY}"] = self.deadline
        if self.traceparent:
            headers[f"{HEADER_PREFIX}.{TRACEPARENT_KEY}"] = self.traceparent
        return headers


def call_with_deadline(method, service_name, timeout, *args, **kwargs):
    reply = None
    try:
        with eventlet.Timeout(timeout):
            reply = method.call_async(*args, **kwargs)
            return reply.result()
    except eventlet.Timeout:
        if reply is not None:
            _forget(method.reply_listener, reply.reply_event)
        raise ServiceUnavailable("no reply in time", service=service_name, timeout=timeout) from None
    except UnknownService:
        raise ServiceUnavailable("service not running", service=service_name) from None
    except BROKER_ERRORS:  # amqp's own too: a request published as the broker shuts down (ConnectionForced)
        raise ServiceUnavailable("message broker unreachable", service=service_name) from None


def _forget(reply_listener, reply_event):
    """Drop the reply we stopped waiting for: its request expires in the queue, so no reply would ever pop
    it, and a flash crowd of timeouts would otherwise grow the listener's table for the life of the process."""
    for correlation_id, event in list(reply_listener._reply_events.items()):
        if event is reply_event:
            reply_listener._reply_events.pop(correlation_id, None)
