"""RPC with a deadline.

nameko's ``RpcProxy`` waits for a reply forever; a caller here waits at most ``timeout`` seconds and gets
``ServiceUnavailable`` instead. The request itself expires in the queue after the same time, so a service
that comes back does not work through requests nobody waits for any more.
"""

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from antre_common.errors import ServiceUnavailable

DEFAULT_TIMEOUT = 5.0


class ServiceRpc(RpcProxy):
    """``identity = ServiceRpc("identity")``; config ``RPC_TIMEOUT_SECONDS`` overrides the default."""

    def __init__(self, target_service, timeout=None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def setup(self):
        super().setup()
        if self.timeout is None:
            self.timeout = float(self.container.config.get("RPC_TIMEOUT_SECONDS", DEFAULT_TIMEOUT))
        # The message expires in the queue when the caller stops waiting (seconds, as kombu takes it).
        self.options = dict(self.options, expiration=self.timeout)

    def get_dependency(self, worker_ctx):
        return DeadlineProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class DeadlineProxy:
    def __init__(self, proxy, service_name, timeout):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)

        def call(*args, timeout=None, **kwargs):
            return call_with_deadline(method, self._service_name, timeout or self._timeout, *args, **kwargs)

        return call


def call_with_deadline(method, service_name, timeout, *args, **kwargs):
    try:
        with eventlet.Timeout(timeout):
            return method.call_async(*args, **kwargs).result()
    except eventlet.Timeout:
        raise ServiceUnavailable("no reply in time", service=service_name, timeout=timeout) from None
    except UnknownService:
        raise ServiceUnavailable("service not running", service=service_name) from None
    except (OperationalError, OSError):
        raise ServiceUnavailable("message broker unreachable", service=service_name) from None
