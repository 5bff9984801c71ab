"""OpenAPI 3, generated from the ``api`` entrypoints and their marshmallow schemas (apispec)."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import DependencyProvider

from gateway.errors import ERRORS
from gateway.http import ApiEndpoint
from gateway.schemas import Problem

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _schema_name(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


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
    problem_ref = {"content": {"application/problem+json": {"schema": "Problem"}}}

    paths = {}
    for ep in sorted((e for e in entrypoints if isinstance(e, ApiEndpoint) and e.documented), key=lambda e: e.url):
        path = _PARAM.sub(r"{\1}", ep.url)
        op = {
            "operationId": ep.method_name,
            "summary": ep.summary or (getattr(ep.container.service_cls, ep.method_name).__doc__ or "").strip(),
            "tags": list(ep.tags),
            "parameters": [
                {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                for name in _PARAM.findall(ep.url)
            ],
            "responses": {},
        }
        if ep.query_schema is not None:
            op["parameters"].append({"in": "query", "schema": ep.query_schema})
        if ep.body_schema is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ep.body_schema}}}
        if getattr(ep, "form_schema", None) is not None:
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": ep.form_schema}}}
        ok = {"description": "OK"}
        if ep.response_schema is not None:
            ok["content"] = {"application/json": {"schema": ep.response_schema}}
        op["responses"][str(ep.status)] = ok
        for status in sorted({s for s, _, _ in ERRORS.values()} & {400, 401, 403, 404, 409, 429, 503}):
            if status in (401, 403) and not ep.auth:
                continue
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
        for method in ep.method.lower().split(","):
            paths.setdefault(path, {})[method] = op
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


class ApiSpec(DependencyProvider):
    """The spec of this process's routes, built once on first use."""

    spec = None

    def get_dependency(self, worker_ctx):
        if self.spec is None:
            self.spec = build_spec(self.container.entrypoints)
        return self.spec
