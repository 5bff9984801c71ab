"""The ``api`` entrypoint: tokens, validation, problem+json, request ids — on a real nameko web server."""

import json
import socket
import threading
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


class UploadService:
    name = "upload"

    @api("POST", "/upload")
    def upload(self, request):
        if (request.content_length or 0) > 1024 or request.content_length is None:
            raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=1024)  # answered before reading the body
        return {"size": len(request.get_data())}


def send_and_read(address, head, body, piece=64 * 1024):
    """Send ``head`` then ``body`` while reading the answer, as a browser does: ``(send error, answer)``."""
    host, port = address.split(":")
    conn = socket.create_connection((host, int(port)), timeout=20)
    answer, failure = [], []

    def read():
        try:
            while data := conn.recv(65536):
                answer.append(data)
        except OSError as exc:
            answer.append(f"<{exc!r}>".encode())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        conn.sendall(head)
        for start in range(0, len(body), piece):
            conn.sendall(body[start : start + piece])
    except OSError as exc:
        failure.append(exc)
    reader.join(30)
    conn.close()
    return failure, b"".join(answer)


@pytest.mark.parametrize("connection", ["close", "keep-alive"])
@pytest.mark.parametrize("chunked", [False, True])
def test_a_413_before_the_body_is_read_reaches_a_client_still_sending(
    container_factory, web_config, rabbit_config, connection, chunked
):
    """Issue 17, finding 4: a 12 MB upload got its 413 written and the connection reset, so the client saw a
    network error. The rest of the body is read and dropped (bounded), then the connection closes."""
    container_factory(UploadService, {**rabbit_config, **web_config}).start()
    size = 12 * 1024 * 1024
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % size
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\n" + framing
    head += f"Connection: {connection}\r\n\r\n".encode()
    body = b"x" * size
    if chunked:
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[i : i + 65536] for i in range(0, size, 65536)))
        body += b"0\r\n\r\n"
    failure, answer = send_and_read(web_config["WEB_SERVER_ADDRESS"], head, body)
    assert failure == [], failure  # no reset while sending
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:200]
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["code"] == "PAYLOAD_TOO_LARGE"
    assert not answer.endswith(b">"), answer[-200:]  # the reader saw the end of the connection, not an error


def test_an_endless_body_is_not_read_for_ever(container_factory, web_config, rabbit_config, monkeypatch):
    """The dropped rest is bounded: past LINGER_BYTES the connection ends (the client may then see a reset)."""
    from antre_common import web

    monkeypatch.setattr(web, "LINGER_BYTES", 256 * 1024)
    container_factory(UploadService, {**rabbit_config, **web_config}).start()
    head = b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000000\r\n\r\n"
    started = time.monotonic()
    failure, answer = send_and_read(web_config["WEB_SERVER_ADDRESS"], head, b"x" * (64 * 1024 * 1024))
    assert answer.startswith(b"HTTP/1.1 413")
    assert failure, "the server read 64 MiB it had refused"
    assert time.monotonic() - started < 30


def test_the_openapi_document_says_what_the_gateway_does(container_factory, web_config, rabbit_config, http_client):
    """Issue 17, finding 7 (drift Schemathesis found; tests/contract runs it against the whole suite): problem
    members declared, every status of a route documented, the formats services read in paths, roles, and
    that no string a request carries may hold a NUL."""
    from gateway.service import GatewayService

    container_factory(GatewayService, {**rabbit_config, **web_config}).start()
    spec = http_client.get("/api/v1/openapi.json").json()
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["additionalProperties"] is True
    assert {"office_code", "service", "retry_after", "max_bytes", "genuine", "counters"} <= problem["properties"].keys()
    paths = spec["paths"]
    call_next = paths["/api/v1/offices/{code}/counters/{counter}/call-next"]["post"]
    assert {"200", "204", "400", "401", "403", "404", "409", "429", "503"} <= call_next["responses"].keys()
    counter = next(p for p in call_next["parameters"] if p["name"] == "counter")["schema"]
    assert (counter["type"], counter["minimum"]) == ("integer", 1)
    assert call_next["x-roles"] == ["officer", "supervisor", "admin"]
    code = paths["/api/v1/bookings/{code}"]["get"]["parameters"][0]["schema"]
    assert (code["minLength"], code["maxLength"]) == (4, 20)
    for path, operations in paths.items():
        for method, op in operations.items():
            if "requestBody" in op:
                assert {"400", "413", "415"} <= op["responses"].keys(), (method, path)
            if op.get("security"):
                assert {"401", "403"} <= op["responses"].keys() and op["x-roles"], (method, path)
    assert {"401", "410"} <= paths["/api/v1/integration/events"]["get"]["responses"].keys()
    assert "text/event-stream" in paths["/api/v1/offices/{code}/board/stream"]["get"]["responses"]["200"]["content"]
    register = spec["components"]["schemas"]["RegisterRequest"]["properties"]
    assert register["full_name"]["pattern"] == "^[^\\u0000]*$" and register["nik"]["pattern"] == "^[0-9]{16}$"
    check_in = spec["components"]["schemas"]["CheckIn"]["properties"]["identity_confirmed"]
    assert check_in["enum"] == [True]
