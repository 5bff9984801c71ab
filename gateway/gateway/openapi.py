"""OpenAPI 3, generated from the ``api`` entrypoints and their marshmallow schemas (apispec).

The document is the contract clients are generated from, so it says everything the gateway does
(``tests/contract`` holds the running suite to it with Schemathesis, docs/contracts.md):

- every status a route can answer: its own (``status`` and ``answers``), then the errors its shape allows (400
  for what it reads, 401/403 with a token, 413/415 with a body, 409/422 where a service judges it, 404, 429,
  503 everywhere);
- path parameters with the formats the services accept (a reservation code, an office code, a counter, UUIDs);
- every member a problem+json answer may carry beside the RFC 9457 ones (``office_code``, ``retry_after``…);
- ``x-roles``: the roles whose token the route takes (absent: no token).

400 is for a request the document itself refuses; 422 (and 409) for one that fits the document but breaks a
rule the document states in words (a date window, a range of at most 31 days, a password too easy to guess).
"""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import DependencyProvider

from gateway.errors import ERRORS
from gateway.http import ApiEndpoint
from gateway.schemas import Problem

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
UUID = {"type": "string", "format": "uuid"}
# What the services accept in a path: scheduling reads 1..20 characters and documents 4..32 (dashes and
# spaces are ignored and confusable letters mapped, antre_common.reservation_code); an office code is a
# catalogue code; a counter is 1..100 (an office's own number of counters is state: beyond it, 409
# COUNTER_CLOSED).
RESERVATION_CODE = {
    "type": "string",
    "minLength": 4,
    "maxLength": 20,
    "pattern": "^[0-9A-Za-z -]+$",
    "description": "a reservation code, e.g. K7QD-M2XP (case, dashes and spaces do not matter)",
    "example": "K7QD-M2XP",
}
OFFICE_CODE = {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[A-Za-z0-9_-]+$", "example": "JKS"}
PATH_PARAMETERS = {
    "counter": {"type": "integer", "minimum": 1, "maximum": 100},
    "document_id": UUID,
    "ticket_id": UUID,
    "waitlist_id": UUID,
    "release_id": UUID,
    "user_id": UUID,
    "client_id": UUID,
    "billing_code": {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[0-9A-Za-z-]+$"},
    "name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[0-9A-Za-z._-]+$"},
}
# What a route that answers a file or a stream sends (``media``); anything else: any content of that type.
BINARY = {"type": "string", "format": "binary"}
MEDIA_SCHEMAS = {"image/png": BINARY, "image/jpeg": BINARY, "application/pdf": BINARY, "text/csv": {"type": "string"}}
# Members a problem may carry beside type, title, status, code, detail, errors and request_id: the params of
# the error (services' ServiceError params and the gateway's own), named here so clients can read them.
PROBLEM_MEMBERS = {
    "office_code": {"type": "string"},
    "service_code": {"type": "string"},
    "slot_id": {"type": "string"},
    "release_id": {"type": "string"},
    "billing_code": {"type": "string"},
    "service": {"type": "string", "description": "503: the part of the suite that does not answer"},
    "retry_after": {"type": "integer", "description": "429: seconds, as in the Retry-After header"},
    "max_bytes": {"type": "integer", "description": "413: the largest body or file accepted"},
    "genuine": {"type": "boolean", "description": "MESSAGE_NOT_FOUND: Antre did not send such a message"},
    "until": {"type": "string", "description": "BOOKING_COOLDOWN: when booking is possible again"},
    "first": {"type": "string", "description": "DATE_OUT_OF_WINDOW: the first day that can be booked"},
    "last": {"type": "string", "description": "DATE_OUT_OF_WINDOW: the last day that can be booked"},
    "counter": {"type": "string"},
    "counters": {"type": "integer", "description": "COUNTER_CLOSED: the office's counters are 1..counters"},
    "reason": {"type": "string"},
    "status": {"type": "integer"},
    "date": {"type": "string"},
    "limit": {"type": "integer"},
    "admitted_until": {"type": "string"},
    "window_seconds": {"type": "integer"},
    "retention_days": {"type": "integer"},
    "min_hours": {"type": "integer"},
    "cutoff_minutes": {"type": "integer"},
    "expected": {},
    "got": {},
    "detected": {"type": "string", "description": "UNSUPPORTED_FILE_TYPE: what the content was judged to be"},
    "to": {"type": "string"},
}


# No text the API takes may hold a NUL (PostgreSQL cannot store it: 400 VALIDATION_ERROR at the gateway and
# at every service, antre_common.schemas): said by a pattern on every free string of a request.
NO_NUL = "^[^\\u0000]*$"


def refuse_nul_in_requests(spec):
    """Adds ``NO_NUL`` to every string of a request (parameters, bodies, the schemas they use) that has no
    pattern, format or enum of its own (those exclude a NUL already)."""
    components, seen = spec["components"]["schemas"], set()

    def walk(schema):
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                walk(components[name])
            return
        if schema.get("type") == "string" and not {"pattern", "format", "enum"} & schema.keys():
            schema["pattern"] = NO_NUL
        for value in schema.get("properties", {}).values():
            walk(value)
        for key in ("items", "additionalProperties"):
            walk(schema.get(key))
        for value in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
            walk(value)

    for operations in spec["paths"].values():
        for op in operations.values():
            for parameter in op.get("parameters", []):
                walk(parameter.get("schema"))
            for media in op.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema"))
    return spec


def _schema_name(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def path_parameter(url, name):
    if name == "code":
        return RESERVATION_CODE if url.startswith("/api/v1/bookings/") else OFFICE_CODE
    return PATH_PARAMETERS.get(name, {"type": "string", "minLength": 1})


def statuses(ep):
    """Every status ``ep`` can answer besides its own: see the module docstring."""
    reads = bool(_PARAM.search(ep.url)) or ep.query_schema is not None or ep.body_schema is not None
    takes_body = ep.body_schema is not None or getattr(ep, "form_schema", None) is not None
    found = {404, 429, 503} | set(ep.answers)
    if reads or takes_body:
        found.add(400)
    if ep.auth:
        found |= {401, 403}
    if takes_body:
        found |= {413, 415}
    if ep.method != "GET":
        found |= {409, 422}
    return found - {ep.status}


def build_spec(entrypoints):
    spec = APISpec(
        title="Antre API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": "Online queue and reservations for Kantor Imigrasi."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=Problem)
    problem = spec.components.schemas["Problem"]
    problem["properties"] = {**PROBLEM_MEMBERS, **problem["properties"]}
    problem["properties"]["errors"] = {
        "type": "object",
        "description": "field → messages (a list of strings, or the same shape again for a nested field)",
    }
    problem["additionalProperties"] = True  # a new member of an error is not a breaking change
    problem_ref = {"content": {"application/problem+json": {"schema": "Problem"}}}

    paths = {}
    for ep in sorted((e for e in entrypoints if isinstance(e, ApiEndpoint) and e.documented), key=lambda e: e.url):
        path = _PARAM.sub(r"{\1}", ep.url)
        op = {
            "operationId": ep.method_name,
            "summary": ep.summary or (getattr(ep.container.service_cls, ep.method_name).__doc__ or "").strip(),
            "tags": list(ep.tags),
            "parameters": [
                {"in": "path", "name": name, "required": True, "schema": path_parameter(ep.url, name)}
                for name in _PARAM.findall(ep.url)
            ],
            "responses": {},
        }
        if ep.query_schema is not None:
            op["parameters"].append({"in": "query", "schema": ep.query_schema})
        if ep.body_schema is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ep.body_schema}}}
        if getattr(ep, "form_schema", None) is not None:
            media = getattr(ep, "form_media", "multipart/form-data")
            op["requestBody"] = {"required": True, "content": {media: {"schema": ep.form_schema}}}
        ok = {"description": "OK"}
        if ep.response_schema is not None:
            ok["content"] = {"application/json": {"schema": ep.response_schema}}
        for media in ep.media:
            ok.setdefault("content", {})[media] = {"schema": MEDIA_SCHEMAS.get(media, {})}
        op["responses"][str(ep.status)] = ok
        for status in sorted(statuses(ep)):
            if 200 <= status < 300:
                op["responses"][str(status)] = {"description": "OK"}
            else:
                op["responses"].setdefault(str(status), {"description": "Problem", **problem_ref})
        by_status = {}
        for code in ep.errors:  # the route's own codes, named under their status
            by_status.setdefault(ERRORS[code][0], []).append(code)
        for status, codes in sorted(by_status.items()):
            described = {"description": "Problem: " + ", ".join(f"`{c}`" for c in codes), **problem_ref}
            op["responses"][str(status)] = described
        if ep.idempotent:
            op["parameters"].append({"in": "header", "name": "Idempotency-Key", "required": False,
                                     "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                                     "description": "The same key and request again: the first answer; "
                                     "the same key with another request: 422 IDEMPOTENCY_KEY_REUSED."})  # fmt: skip
        if ep.auth:
            op["security"] = [{"bearer": []}]
            op["x-roles"] = ["citizen", "officer", "supervisor", "admin"] if ep.auth is True else list(ep.auth)
        for method in ep.method.lower().split(","):
            paths.setdefault(path, {})[method] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return refuse_nul_in_requests(spec.to_dict())


class ApiSpec(DependencyProvider):
    """The spec of this process's routes, built once on first use."""

    spec = None

    def get_dependency(self, worker_ctx):
        if self.spec is None:
            self.spec = build_spec(self.container.entrypoints)
        return self.spec
