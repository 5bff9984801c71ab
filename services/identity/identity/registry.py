"""The population registry adapter (Dukcapil's NIK verification): NIK, full name and birth date in; whether
they match, the family-card number and its members out.

An HTTP client with a deadline per attempt, a bounded number of retries with exponential backoff (only for
answers that say "try again": connection failures, 502/503/504), and a circuit breaker (``circuitbreaker``)
that answers at once while the registry is known to be down, so a registry outage costs callers milliseconds,
not RPC deadlines. Every failure to get an answer is ``ServiceUnavailable`` (503 at the gateway); the
caller has stored nothing by then. Nothing personal is logged: only outcomes and timings. Names are
compared by the registry, as it compares them (case, spacing and punctuation do not count; see
``antre_dev.registry.name_key`` for the stand-in's rule): identity never compares them byte for byte.

Configured by ``REGISTRY_URL``, ``REGISTRY_USER``, ``REGISTRY_PASSWORD`` (secrets from the environment) and
the ``REGISTRY_*`` tunables in settings.py.
"""

import logging
import time
from dataclasses import dataclass, field

import requests
from circuitbreaker import CircuitBreaker, CircuitBreakerError
from prometheus_client import Counter, Histogram
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from antre_common.metrics import metric
from identity.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)

CALLS = metric(
    Counter, "antre_identity_registry_calls_total", "Population registry lookups by outcome",
    ["outcome"],  # match | mismatch | unavailable | open (the breaker answered without calling)
)  # fmt: skip
LATENCY = metric(Histogram, "antre_identity_registry_seconds", "Population registry lookup time, retries included")


@dataclass(frozen=True)
class Member:
    nik: str
    full_name: str
    birth_date: str
    relationship: str


@dataclass(frozen=True)
class Verdict:
    match: bool
    family_card_number: str | None = None
    members: tuple = field(default_factory=tuple)

    def member(self, nik):
        return next((m for m in self.members if m.nik == nik), None)


class _Unavailable(Exception):
    """The registry gave no usable answer (counted by the breaker)."""


class RegistryClient:
    def __init__(self, settings):
        if not settings.registry_url:
            raise ValueError("REGISTRY_URL is empty")
        self.url = settings.registry_url.rstrip("/") + "/api/v1/nik/verify"
        self.timeout = settings.registry_timeout_seconds
        self.http = requests.Session()
        self.http.auth = (settings.registry_user or "", settings.registry_password or "")
        retry = Retry(
            total=settings.registry_retries,
            connect=settings.registry_retries,
            read=0,  # a read timeout already spent the deadline; the breaker decides what comes next
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"POST"}),  # verification reads only: safe to repeat
            backoff_factor=settings.registry_backoff_seconds,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        self.http.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=20))
        self.http.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=20))
        # Not pybreaker: its call() holds a lock for the whole call, which under eventlet queues every lookup
        # of the process behind the one in flight. This breaker only counts, so lookups run side by side.
        self.breaker = CircuitBreaker(
            failure_threshold=settings.registry_breaker_failures,
            recovery_timeout=settings.registry_breaker_reset_seconds,
            expected_exception=_Unavailable,
            name=f"population-registry-{id(self)}",
        )
        self._guarded_post = self.breaker.decorate(self._post)

    def verify(self, nik, full_name, birth_date):
        """A ``Verdict``; ``ServiceUnavailable`` when the registry does not answer (or the breaker is open)."""
        started = time.monotonic()
        try:
            answer = self._guarded_post({"nik": nik, "full_name": full_name, "birth_date": birth_date})
        except CircuitBreakerError:
            CALLS.labels("open").inc()
            raise ServiceUnavailable("the population registry is not answering", retry_after=30) from None
        except _Unavailable as exc:
            CALLS.labels("unavailable").inc()
            log.warning("population registry unavailable", extra={"reason": str(exc)})
            raise ServiceUnavailable("the population registry is not answering", retry_after=30) from None
        finally:
            LATENCY.observe(time.monotonic() - started)
        verdict = Verdict(
            match=bool(answer.get("match")),
            family_card_number=answer.get("family_card_number"),
            members=tuple(
                Member(m["nik"], m["full_name"], m["birth_date"], m.get("relationship") or "other")
                for m in answer.get("members") or ()
            ),
        )
        CALLS.labels("match" if verdict.match else "mismatch").inc()
        return verdict

    def _post(self, body):
        try:
            response = self.http.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _Unavailable(type(exc).__name__) from None
        if response.status_code != 200:
            raise _Unavailable(f"status {response.status_code}")  # 401 too: misconfigured is unavailable
        try:
            return response.json()
        except ValueError:
            raise _Unavailable("not JSON") from None
