"""Issue 17, finding 6 (headers and exposure), on the running suite: tokens and personal answers are never
stored by a browser or a proxy, every response of every process carries the security headers and an
``X-Request-Id``, every error is problem+json (a path no route has, a method a route lacks: 405 with the
methods it has), and ``GET /`` is the citizen app.

Failures name the path and the status only: bodies may be personal."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from antre_common.web import SECURITY_HEADERS
from antre_dev import totp
from antre_dev.stack import SERVICES
from documents import samples

from .people import admin_access_token
from .tokens import bearer, citizen, staff

OFFICE, SERVICE = "SMG", "paspor_baru"  # test_access_matrix's office; this module only reads there


def no_store(response):
    return "no-store" in [part.strip() for part in response.headers.get("Cache-Control", "").split(",")]


@pytest.fixture(scope="module")
def owner():
    return citizen()


@pytest.fixture(scope="module")
def booked(stack, owner):
    """A booking of ``owner`` and one uploaded document: ``(reservation code, document id)``."""
    gateway = requests.Session()
    base = stack.config.gateway_url
    slots = gateway.get(f"{base}/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    later = datetime.now(UTC) + timedelta(hours=30)
    slot = next(s for s in reversed(slots) if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0)
    made = gateway.post(f"{base}/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE},
                        headers=bearer(stack, owner))  # fmt: skip
    assert made.status_code == 201, made.status_code
    code = made.json()["reservation_code"]
    uploaded = gateway.post(f"{base}/api/v1/bookings/{code}/documents", data={"doc_type": "ktp"},
                            files={"file": ("ktp.pdf", samples.pdf(), "application/pdf")},
                            headers=bearer(stack, owner))  # fmt: skip
    assert uploaded.status_code == 201, uploaded.status_code
    return code, uploaded.json()["document_id"]


def test_token_answers_are_never_stored(stack, gateway):
    env = stack.env()
    login = gateway.post("/api/v1/auth/login",
                         json={"email": env["ANTRE_ADMIN_EMAIL"], "password": env["ANTRE_ADMIN_PASSWORD"]})  # fmt: skip
    assert login.status_code == 200 and no_store(login), login.status_code  # staff: the challenge
    code = {"challenge_token": login.json()["challenge_token"], "code": totp.code(env["ANTRE_ADMIN_TOTP_SECRET"])}
    tokens = gateway.post("/api/v1/auth/login/code", json=code)
    assert tokens.status_code == 200 and no_store(tokens), tokens.status_code
    refreshed = gateway.post("/api/v1/auth/refresh", json={"refresh_token": tokens.json()["refresh_token"]})
    assert refreshed.status_code == 200 and no_store(refreshed), refreshed.status_code
    refused = gateway.post("/api/v1/auth/login", json={"email": "nobody@example.id", "password": "x" * 12})
    assert refused.status_code == 401 and no_store(refused), refused.status_code
    # The machine clients' token (client credentials) is covered by test_integration.


def test_me_and_every_personal_answer_are_never_stored(stack, gateway, owner, booked):
    code, document_id = booked
    me = gateway.get("/api/v1/me", headers={"Authorization": f"Bearer {admin_access_token(stack, gateway)}"})
    assert me.status_code == 200 and no_store(me)
    mine = bearer(stack, owner)
    officer = bearer(stack, staff("officer", OFFICE))
    personal = [
        ("/api/v1/bookings", mine),
        (f"/api/v1/bookings/{code}", mine),
        (f"/api/v1/bookings/{code}", officer),
        (f"/api/v1/bookings/{code}/qr", mine),
        (f"/api/v1/bookings/{code}/documents", mine),
        (f"/api/v1/documents/{document_id}/content", mine),
        (f"/api/v1/offices/{OFFICE}/bookings", officer),
        (f"/api/v1/offices/{OFFICE}/documents", officer),
        (f"/api/v1/offices/{OFFICE}/visits", officer),
        ("/api/v1/waitlist", mine),
        ("/api/v1/me/messages", mine),
    ]
    for path, headers in personal:
        answer = gateway.get(path, headers=headers)
        label = path.replace(code, "{code}").replace(document_id, "{id}")  # nothing personal in the output
        assert answer.status_code == 200, (label, answer.status_code)
        assert no_store(answer), (label, answer.headers.get("Cache-Control"))
    # Errors about someone's things too (a 404 is cached by browsers unless told).
    hidden = gateway.get(f"/api/v1/bookings/{code}", headers=bearer(stack, citizen()))
    assert hidden.status_code == 404 and no_store(hidden)


@pytest.fixture(scope="module")
def answers(stack):
    """(what, response) for each kind of answer the edge gives: API success and errors, router errors,
    pages, static files, health and metrics of every process."""
    gateway = requests.Session()
    base = stack.config.gateway_url
    page = gateway.get(f"{base}/")
    asset = re.search(r'(/assets/[^"]+\.js)', page.text).group(1)
    answers = [
        ("page /", page),
        ("asset", gateway.get(f"{base}{asset}")),
        ("service worker", gateway.get(f"{base}/sw.js")),
        ("api 200", gateway.get(f"{base}/api/v1/offices")),
        ("api 401", gateway.get(f"{base}/api/v1/bookings")),
        ("api 400", gateway.post(f"{base}/api/v1/auth/login", data="{", headers={"Content-Type": "application/json"})),
        ("api 404", gateway.get(f"{base}/api/v1/no-such-thing")),
        ("api 405", gateway.request("OPTIONS", f"{base}/api/v1/bookings")),
        ("asset 404", gateway.get(f"{base}/assets/missing-0000.js")),
    ]
    for name in ("gateway", *SERVICES):  # probes and metrics: each process's internal port (antre_common.web)
        for path in ("/healthz", "/readyz", "/metrics", "/no-such-path"):
            answers.append((f"{name} {path}", requests.get(f"{stack.internal_url(name)}{path}", timeout=5)))
    for name in ("gateway", "documents"):  # the public ports: not there (404 problem+json), headers all the same
        for path in ("/healthz", "/metrics"):
            answers.append((f"{name} public {path}", requests.get(f"{stack.config.url_of(name)}{path}", timeout=5)))
    return answers


def test_every_answer_of_every_process_carries_the_security_headers(answers):
    for what, response in answers:
        for header, value in SECURITY_HEADERS.items():
            if header == "Permissions-Policy":  # pages keep the camera (the console scans QR codes)
                denied = set(response.headers.get(header, "").replace(" ", "").split(","))
                assert {"geolocation=()", "microphone=()", "payment=()"} <= denied, (what, header)
            else:
                assert response.headers.get(header) == value, (what, response.status_code, header)


def test_every_answer_of_every_process_carries_a_request_id(stack, answers):
    for what, response in answers:
        assert len(response.headers.get("X-Request-Id", "")) >= 8, (what, response.status_code)
    sent = f"req-{uuid.uuid4().hex}"
    for base in (stack.internal_url("gateway"), stack.internal_url("identity")):
        for path in ("/healthz", "/readyz", "/metrics"):  # the caller's own id comes back: its log lines match
            answer = requests.get(f"{base}{path}", headers={"X-Request-Id": sent}, timeout=5)
            assert answer.headers["X-Request-Id"] == sent, path


def test_the_internal_port_answers_a_method_it_lacks_with_problem_json_405(stack):
    response = requests.request("TRACE", f"{stack.internal_url('gateway')}/healthz", timeout=5)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/v1/bookings", "GET, HEAD, POST"),
        ("TRACE", "/api/v1/bookings", "GET, HEAD, POST"),
        ("OPTIONS", "/api/v1/offices/SMG/capacity", "PUT"),
        ("TRACE", "/api/v1/me", "GET, HEAD"),
        ("DELETE", "/api/v1/bookings/ABCD2345", "GET, HEAD"),
        ("PUT", "/api/v1/auth/login", "POST"),
        ("POST", "/api/v1/offices", "GET, HEAD"),
        ("OPTIONS", "/", "GET, HEAD"),
    ],
)
def test_a_method_a_route_lacks_is_problem_json_405_with_the_methods_it_has(gateway, method, path, allow):
    response = gateway.request(method, path, headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 405, (method, path, response.status_code)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"
    assert response.headers["Allow"] == allow
    for listed in allow.split(", "):  # every method Allow names is one the path answers (not 405)
        assert gateway.request(listed, path).status_code != 405, (listed, path)


@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS", "TRACE", "DELETE"])
def test_an_api_path_no_route_has_is_problem_json_404_even_for_a_browser(gateway, method):
    response = gateway.request(method, "/api/v1/no-such-thing", headers={"Accept": "text/html,*/*;q=0.8"})
    assert (response.status_code, response.headers["Content-Type"]) == (404, "application/problem+json"), method
    assert response.json()["code"] == "NOT_FOUND"


def test_the_root_is_the_citizen_app(gateway):
    page = gateway.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="id"' in page.text
    assert "Content-Security-Policy" in page.headers
