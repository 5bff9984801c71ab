"""The ``api`` entrypoint: tokens, validation, problem+json, request ids — on a real nameko web server."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from marshmallow import RAISE, Schema, fields, validate

from antre_common.web import http
from gateway.auth import AUDIENCE, ISSUER
from gateway.errors import GatewayError
from gateway.http import MAX_JSON_BYTES, api


class Echo(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=20))


class Filter(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String()


class EdgeService:
    name = "edge"

    @api("POST", "/echo", body=Echo(), status=201)
    def echo(self, request, body):
        return body

    @api("GET", "/mine", auth=True)
    def mine(self, request, user):
        return {"user_id": user.user_id, "role": user.role}

    @api("GET", "/staff-only", auth=("officer", "supervisor", "admin"))
    def staff_only(self, request, user):
        return {"office": user.office_code}

    @api("GET", "/offices/<code>", query=Filter())
    def office(self, request, code, query):
        return {"code": code, **query}

    @http("GET", "/plain")
    def plain(self, request):
        return 200, "ok"

    @api("GET,POST,PUT,PATCH,DELETE", "/<path:path>", documented=False)
    def unknown_path(self, request, path):
        raise GatewayError("NOT_FOUND")  # as the gateway's own catch-all (routes/status.py)


@pytest.fixture(scope="module")
def keys():
    private = Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def token(private, role="citizen", expires_in=60, **claims):
    now = int(time.time())
    payload = {"sub": str(uuid.uuid4()), "role": role, "typ": "access", "iss": ISSUER, "aud": AUDIENCE}
    payload.update(iat=now, exp=now + expires_in, **claims)
    return jwt.encode(payload, private, algorithm="EdDSA")


@pytest.fixture
def client(container_factory, web_config, rabbit_config, keys, http_client):
    container = container_factory(EdgeService, {**rabbit_config, **web_config, "JWT_PUBLIC_KEY": keys[1]})
    container.start()
    return http_client


def test_valid_body_reaches_the_method(client):
    response = client.post("/echo", json={"name": "Siti"})
    assert response.status_code == 201
    assert response.json() == {"name": "Siti"}
    assert len(response.headers["X-Request-Id"]) >= 8


def test_invalid_and_unknown_fields_are_rejected_with_field_errors(client):
    response = client.post("/echo", json={"name": "", "extra": 1})
    assert response.status_code == 400
    body = response.json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "VALIDATION_ERROR"
    assert set(body["errors"]) == {"name", "extra"}


def test_non_json_bodies_are_refused(client):
    assert client.post("/echo", data="name=x").json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    bad = client.post("/echo", data="{", headers={"Content-Type": "application/json"})
    assert (bad.status_code, bad.json()["code"]) == (400, "MALFORMED_JSON")


def test_request_id_from_the_caller_is_echoed(client):
    response = client.post("/echo", json={"name": "a"}, headers={"X-Request-Id": "client-req-0001"})
    assert response.headers["X-Request-Id"] == "client-req-0001"


def test_language_follows_accept_language(client):
    indonesian = client.get("/mine").json()["detail"]
    english = client.get("/mine", headers={"Accept-Language": "en-US,en;q=0.9"}).json()["detail"]
    assert indonesian == "Silakan masuk terlebih dahulu."
    assert english == "Please sign in first."


def test_tokens_are_checked(client, keys):
    private, _ = keys
    ok = client.get("/mine", headers={"Authorization": f"Bearer {token(private)}"})
    assert ok.status_code == 200 and ok.json()["role"] == "citizen"

    expired = client.get("/mine", headers={"Authorization": f"Bearer {token(private, expires_in=-10)}"})
    assert (expired.status_code, expired.json()["code"]) == (401, "TOKEN_EXPIRED")

    forged = token(Ed25519PrivateKey.generate())
    assert client.get("/mine", headers={"Authorization": f"Bearer {forged}"}).status_code == 401

    tampered = token(private)[:-4] + "AAAA"
    assert client.get("/mine", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401

    refresh_as_access = token(private, typ="refresh")
    assert client.get("/mine", headers={"Authorization": f"Bearer {refresh_as_access}"}).status_code == 401


def test_roles_are_enforced(client, keys):
    private, _ = keys
    citizen = client.get("/staff-only", headers={"Authorization": f"Bearer {token(private)}"})
    assert (citizen.status_code, citizen.json()["code"]) == (403, "FORBIDDEN")
    officer = token(private, role="officer", office="JKT01")
    response = client.get("/staff-only", headers={"Authorization": f"Bearer {officer}"})
    assert response.json() == {"office": "JKT01"}


def test_unknown_paths_are_problem_json_not_html(container_factory, web_config, rabbit_config, http_client):
    from gateway.service import GatewayService

    container_factory(GatewayService, {**rabbit_config, **web_config}).start()
    response = http_client.post("/api/v1/no-such-thing", json={})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "NOT_FOUND"
    assert response.headers["X-Request-Id"]
    assert http_client.get("/api/v1/status").status_code != 404  # real routes still win over the fallback
    spec = http_client.get("/api/v1/openapi.json").json()
    assert "/{path}" not in spec["paths"] and "/api/v1/status" in spec["paths"]


def test_during_a_key_rotation_tokens_of_both_keys_are_accepted(container_factory, web_config, rabbit_config, keys):
    from antre_common.testing import HttpClient

    old_private, old_public = keys
    new_private = Ed25519PrivateKey.generate()
    new_public = (
        new_private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    config = {**rabbit_config, **web_config, "JWT_PUBLIC_KEY": new_public + old_public}
    container_factory(EdgeService, config).start()
    client = HttpClient(f"http://{web_config['WEB_SERVER_ADDRESS']}")
    for private in (old_private, new_private):
        assert client.get("/mine", headers={"Authorization": f"Bearer {token(private)}"}).status_code == 200
    stranger = token(Ed25519PrivateKey.generate())
    assert client.get("/mine", headers={"Authorization": f"Bearer {stranger}"}).status_code == 401
    expired_old = token(old_private, expires_in=-10)
    assert client.get("/mine", headers={"Authorization": f"Bearer {expired_old}"}).json()["code"] == "TOKEN_EXPIRED"


@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"name": "Si\\u0000ti"}', "name"),  # a NUL: PostgreSQL refuses it in text
        (b'{"name": "\\ud800"}', "name"),  # a lone surrogate: no UTF-8 for it
        (b'{"na\\u0000me": "x"}', "na\x00me"),
    ],
)
def test_nul_and_lone_surrogates_are_refused_with_the_field(client, raw, field):
    response = client.post("/echo", data=raw, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR"), response.text
    assert field in response.json()["errors"]


def test_nesting_and_size_have_limits_before_anything_is_parsed_or_read(client):
    json_headers = {"Content-Type": "application/json"}
    for raw in (b"[" * 30_000 + b"]" * 30_000, b'{"a":' * 20 + b"1" + b"}" * 20):
        response = client.post("/echo", data=raw, headers=json_headers)
        assert (response.status_code, response.json()["code"]) == (400, "MALFORMED_JSON")
    big = b'{"name": "' + b"x" * MAX_JSON_BYTES + b'"}'
    response = client.post("/echo", data=big, headers=json_headers)
    assert (response.status_code, response.json()["code"]) == (413, "REQUEST_TOO_LARGE")
    assert response.json()["max_bytes"] == MAX_JSON_BYTES


def test_nul_in_a_path_or_a_query_is_a_4xx(client):
    assert client.get("/offices/JKS", params={"action": "x"}).json() == {"code": "JKS", "action": "x"}
    assert client.get("/offices/JK%00S").status_code == 404
    response = client.get("/offices/JKS", params={"action": "a\x00b"})
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_methods_no_route_has_are_problem_json_405_with_the_paths_own_allow(client):
    """Also a method the catch-all takes (PUT, DELETE): the path exists, so 405 naming its methods."""
    for method, path, allow in (("OPTIONS", "/echo", "POST"), ("TRACE", "/echo", "POST"), ("PUT", "/echo", "POST"),
                                ("DELETE", "/offices/JKS", "GET, HEAD"), ("POST", "/plain", "GET, HEAD")):  # fmt: skip
        response = client.request(method, path)
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "METHOD_NOT_ALLOWED"
        assert response.headers["Allow"] == allow
    for method in ("GET", "POST", "OPTIONS"):  # a path no route has: 404 whatever the method
        response = client.request(method, "/nowhere")
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), method


def test_every_response_has_a_request_id_security_headers_and_json_no_store(client):
    for response in (client.post("/echo", json={"name": "Siti"}), client.get("/plain"), client.get("/nowhere"),
                     client.post("/echo", json={})):  # fmt: skip
        assert len(response.headers["X-Request-Id"]) >= 8
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "max-age" in response.headers["Strict-Transport-Security"]
    assert client.post("/echo", json={"name": "Siti"}).headers["Cache-Control"] == "no-store"
