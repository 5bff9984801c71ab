"""The gateway's HTTP entrypoint: validation, auth, errors and request ids, the same for every route.

    @api("POST", "/api/v1/bookings", body=BookingRequest, response=Booking, status=201, auth=("citizen",))
    def create_booking(self, request, body, user): ...

Before a worker starts, ``api`` checks the token (``user`` kwarg) and validates the JSON body (``body``) and
query string (``query``) with marshmallow, so nothing invalid reaches an RPC. The method returns the object
to serialise (dumped through ``response``), a ``(status, object)`` pair, or a werkzeug ``Response``.
Every answer carries ``X-Request-Id``; every error is ``application/problem+json`` in the caller's language.
Every request is a SERVER span (continuing the caller's W3C ``traceparent``, or starting a trace) whose ids
reach every RPC and event it causes, and is counted by route and status (``antre_gateway_http_*``: the
release-day SLOs and dashboards are built on them, docs/observability.md).
"""

import ipaddress
import json
import time
from functools import partial

from eventlet.event import Event
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram
from werkzeug.wrappers import Response

from antre_common.auth import ACCESS_TOKEN_KEY
from antre_common.context import REQUEST_ID_KEY, accept_request_id
from antre_common.errors import ServiceError, parse_remote
from antre_common.metrics import metric, service_metric_name
from antre_common.schemas import unusable, unusable_fields
from antre_common.tracing import TRACEPARENT_KEY, enabled, fresh, http_status, parse, span
from antre_common.web import HttpEntrypoint, use_problems
from gateway.auth import TokenVerifier, bearer_token
from gateway.errors import GatewayError, describe, problem

LANGUAGES = ("id", "en")
RETRY_UNAVAILABLE_SECONDS = 5  # a part that is down: clients (and the web app) try again after this
# Latency buckets of the API: the SLO thresholds (2 s for a booking, 0.5 s for what the crowd polls) are edges,
# so the SLO ratios are exact counts, not interpolations (docs/observability.md).
HTTP_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)


def language(request):
    return request.accept_languages.best_match(LANGUAGES, default="id") or "id"


def json_response(status, body, request_id, headers=None):
    response = Response(json.dumps(body, default=str, ensure_ascii=False), status=status, headers=headers)
    response.headers["Content-Type"] = "application/json"
    response.headers["X-Request-Id"] = request_id
    # Tokens, bookings, personal data: nothing of the API is kept by a browser or a proxy on the way.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def problem_response(exc, request, request_id):
    code, errors, params, headers = describe(exc)
    status, body = problem(code, language(request), errors, params)
    body["request_id"] = request_id
    if status == 503:
        headers = {"Retry-After": str(RETRY_UNAVAILABLE_SECONDS), **headers}
    response = json_response(status, body, request_id, headers)
    response.headers["Content-Type"] = "application/problem+json"
    return response


class ApiEndpoint(HttpEntrypoint):
    tokens = TokenVerifier()

    def __init__(
        self,
        method,
        url,
        *,
        body=None,
        query=None,
        form=None,
        form_media="multipart/form-data",
        response=None,
        status=200,
        auth=None,
        summary=None,
        tags=(),
        documented=True,
        errors=(),
        idempotent=False,
        answers=(),
        media=(),
        **kwargs,
    ):
        self.documented = documented  # False keeps a route out of the OpenAPI contract
        self.errors = tuple(errors)  # codes of the error table this route answers beyond the common ones
        self.idempotent = idempotent  # honours an Idempotency-Key header (documented as a parameter)
        self.media = tuple(media)  # what a route answering a Response (not JSON) sends: image/png, text/csv…
        self.answers = tuple(answers)  # statuses beyond ``status`` and those its shape gives (gateway/openapi.py)
        self.body_schema = body
        self.query_schema = query
        self.form_schema = form  # multipart fields: documented in OpenAPI; the route reads request.files itself
        self.form_media = form_media
        self.response_schema = response
        self.status = status
        self.auth = auth  # None: public; True: any signed-in user; a tuple: these roles
        self.summary = summary
        self.tags = tuple(tags)
        # Answers such as SLOT_FULL or a bad token are not failures of the gateway: log them as warnings.
        kwargs.setdefault("expected_exceptions", (GatewayError, RemoteError, ServiceError))
        super().__init__(method, url, **kwargs)

    def get_entrypoint_parameters(self, request):
        if any(map(unusable, request.path_values.values())):
            raise GatewayError("NOT_FOUND")  # nothing is named with a NUL or half a character
        kwargs = dict(request.path_values)
        if self.auth:
            roles = None if self.auth is True else self.auth
            kwargs["user"] = self.tokens.authorize(request.headers.get("Authorization"), roles)
        if self.body_schema is not None:
            kwargs["body"] = self._load(self.body_schema, self._json(request))
        if self.query_schema is not None:
            query = request.args.to_dict()
            refuse_unusable(query)
            kwargs["query"] = self._load(self.query_schema, query)
        return (request,), kwargs

    @staticmethod
    def _json(request):
        """The body, read only up to ``MAX_JSON_BYTES`` (a declared or a chunked one), parsed, and refused if
        it nests deeper than any of our schemas or carries a NUL or a lone surrogate anywhere."""
        if not request.mimetype == "application/json":
            raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE", max_bytes=MAX_JSON_BYTES)
        raw = request.stream.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise GatewayError("REQUEST_TOO_LARGE", max_bytes=MAX_JSON_BYTES)
        try:
            data = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            raise GatewayError("MALFORMED_JSON") from None
        if depth(data) > MAX_JSON_DEPTH:
            raise GatewayError("MALFORMED_JSON")
        refuse_unusable(data)
        return data

    @staticmethod
    def _load(schema, data):
        if data is None:
            data = {}
        try:
            return schema.load(data)
        except ValidationError as exc:
            errors = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
            raise GatewayError("VALIDATION_ERROR", errors=errors) from None

    def setup(self):
        super().setup()
        self.trusted_proxies = trusted_networks(self.container.config.get("GATEWAY_TRUSTED_PROXIES"))
        service = self.container.service_name
        # Labelled by route template (never the raw path: codes in paths would make a series per booking).
        self.requests_total = metric(
            Counter,
            service_metric_name(service, "http_requests_total"),
            "API requests answered, by method, route and HTTP status.",
            ("method", "route", "status"),
        )
        self.request_seconds = metric(
            Histogram,
            service_metric_name(service, "http_request_duration_seconds"),
            "API request latency from receipt to answer, by method and route.",
            ("method", "route"),
            buckets=HTTP_BUCKETS,
        )

    def handle_request(self, request):
        started = time.perf_counter()
        service = self.container.service_name
        parent = parse(request.headers.get("traceparent"))
        if parent is None and not enabled(service):
            parent = fresh()  # tracing off: no span, but the ids that log lines and other processes carry
        attributes = {"http.request.method": self.method, "http.route": self.url}
        with span(
            service, f"{self.method} {self.url}", parent=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as tp:
            response = self._answer(request, tp)
            http_status(response.status_code)
        self.requests_total.labels(self.method, self.url, str(response.status_code)).inc()
        self.request_seconds.labels(self.method, self.url).observe(time.perf_counter() - started)
        return response

    def _answer(self, request, traceparent):
        request.shallow = False
        request.environ[TRUSTED_PROXIES_KEY] = self.trusted_proxies
        request_id = accept_request_id(request.headers.get("X-Request-Id"))
        try:
            args, kwargs = self.get_entrypoint_parameters(request)
            self.check_signature(args, kwargs)
            event = Event()
            context = {REQUEST_ID_KEY: request_id, "language": language(request), TRACEPARENT_KEY: traceparent}
            if "user" in kwargs:  # verified above; services check it again themselves (antre_common.auth)
                context[ACCESS_TOKEN_KEY] = bearer_token(request.headers.get("Authorization"))
            self.container.spawn_worker(
                self, args, kwargs, context_data=context, handle_result=partial(self.handle_result, event)
            )
            result = event.wait()
            return self.response(result, request_id)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a problem response
            return problem_response(exc, request, request_id)

    def response(self, result, request_id):
        if isinstance(result, Response):
            result.headers["X-Request-Id"] = request_id
            return result
        status = self.status
        if isinstance(result, tuple):
            status, result = result
        if self.response_schema is not None and result is not None:
            result = self.response_schema.dump(result)
        return json_response(status, result, request_id)


api = ApiEndpoint.decorator

MAX_JSON_BYTES = 64 * 1024  # the largest body of the API (a week of opening hours) is under 2 KB
MAX_JSON_DEPTH = 8  # our deepest schema nests 4 levels


def depth(value, level=1):
    if isinstance(value, dict):
        return max((depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((depth(v, level + 1) for v in value), default=level)
    return level


def refuse_unusable(data):
    """400 VALIDATION_ERROR naming every field (key or value, at any depth) that holds a NUL or a lone
    surrogate (``antre_common.schemas.unusable_fields``)."""
    bad = unusable_fields(data)
    if bad:
        raise GatewayError("VALIDATION_ERROR", errors=bad)


def router_problem(code, status, lang, request_id):
    """The router's own 404/405 (a path or method no route has), in the table's words and language."""
    status, body = problem(code, lang)
    return status, {**body, "request_id": request_id}


use_problems(router_problem)


THROTTLE_CODES = ("LOGIN_LOCKED", "RATE_LIMITED")


TRUSTED_PROXIES_KEY = "antre.trusted_proxies"


def trusted_networks(value):
    """``GATEWAY_TRUSTED_PROXIES``: comma-separated addresses or CIDRs of the proxies in front of the gateway."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in str(value or "").split(",") if part.strip()
    )


def _trusted(address, networks):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_ip(request):
    """The client's address. The peer, unless the peer is a trusted proxy (``GATEWAY_TRUSTED_PROXIES``): then
    X-Forwarded-For is walked from the right past trusted proxies, and the first hop that is not one is the
    client. Never the raw first hop: a client writes whatever X-Forwarded-For it likes, and only what our own
    proxies appended can be believed."""
    networks = request.environ.get(TRUSTED_PROXIES_KEY, ())
    address = request.remote_addr or ""
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    while hops and _trusted(address, networks):
        address = hops.pop()
    return address[:64] or None


def retry_after(call, *args, **kwargs):
    """Runs an RPC (identity, notification); a throttle answer becomes 429 with ``Retry-After`` (spec/API.md)."""
    try:
        return call(*args, **kwargs)
    except RemoteError as exc:
        doc = parse_remote(exc.value)
        if doc and doc["code"] in THROTTLE_CODES:
            seconds = str(int((doc.get("params") or {}).get("retry_after") or 60))
            raise GatewayError(doc["code"], headers={"Retry-After": seconds}, retry_after=int(seconds)) from None
        raise
