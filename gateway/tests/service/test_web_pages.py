"""The web app's pages and files as the gateway serves them: shells at every app address (deep links too),
hashed assets cached for a year, gzip, ETags, security headers, and 404s that stay JSON for the API."""

import gzip
import json

import pytest

from antre_common.health import ServiceBase
from gateway.routes.status import StatusRoutes
from gateway.routes.web import WebRoutes

CITIZEN = b"<!doctype html><html lang='id'><script type=module src=/assets/citizen-AB12.js></script>" + b" " * 2000
STAFF = b"<!doctype html><html lang='id'><body class='app-staff'>" + b" " * 2000
SCRIPT = b"console.log('antre');" * 200


class WebOnly(StatusRoutes, WebRoutes, ServiceBase):
    name = "gateway"


@pytest.fixture
def dist(tmp_path):
    """A build as web/build.mjs writes it (manifest, shells, hashed assets, service worker)."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "citizen-AB12.js").write_bytes(SCRIPT)
    (tmp_path / "assets" / "icon-CD34.svg").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    for app, body in (("citizen", CITIZEN), ("staff", STAFF), ("board", STAFF), ("status", STAFF)):
        (tmp_path / f"{app}.html").write_bytes(body)
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (tmp_path / "manifest.webmanifest").write_text(json.dumps({"name": "Antre"}))
    manifest = {"files": ["/assets/citizen-AB12.js", "/assets/icon-CD34.svg"], "assets": {}, "version": "1"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


@pytest.fixture
def client(container_factory, web_config, rabbit_config, http_client, dist):
    container = container_factory(WebOnly, {**rabbit_config, **web_config, "WEB_DIST": str(dist)})
    container.start()
    return http_client


@pytest.mark.parametrize("path", ["/", "/register", "/bookings", "/bookings/ABCD2345", "/book/paspor_baru/JKS"])
def test_every_citizen_address_loads_the_citizen_app(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert page.content == CITIZEN
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/staff", "/staff/", "/staff/queue", "/board/JKS", "/status"])
def test_console_board_and_status_have_their_own_shells(client, path):
    page = client.get(path)
    assert (page.status_code, page.content) == (200, STAFF)


def test_pages_carry_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    for rule in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert rule in csp
    assert "unsafe-inline" not in csp and "http" not in csp  # no inline code, no third-party host
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"


def test_hashed_assets_are_immutable_and_compressed(client):
    plain = client.get("/assets/citizen-AB12.js", headers={"Accept-Encoding": "identity"})
    assert plain.content == SCRIPT and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert plain.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    raw = client.get("/assets/citizen-AB12.js", headers={"Accept-Encoding": "gzip"}, stream=True).raw
    assert raw.headers["Content-Encoding"] == "gzip" and raw.headers["Vary"] == "Accept-Encoding"
    body = raw.read(decode_content=False)
    assert len(body) < len(SCRIPT) / 10 and gzip.decompress(body) == SCRIPT


def test_a_revalidated_page_answers_304(client):
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_service_worker_and_manifest_are_served_at_the_root(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Cache-Control"] == "no-cache"
    assert client.get("/manifest.webmanifest").headers["Content-Type"] == "application/manifest+json; charset=utf-8"


def test_unknown_addresses(client):
    # A browser gets the app's own "page not found" (status 404); the API and files stay problem+json.
    page = client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (page.status_code, page.content) == (404, CITIZEN)
    for path in ("/api/v1/nothing", "/assets/missing-0000.js"):
        answer = client.get(path, headers={"Accept": "text/html,*/*;q=0.8"})
        assert (answer.status_code, answer.headers["Content-Type"]) == (404, "application/problem+json")
    assert client.get("/no/such/page").headers["Content-Type"] == "application/problem+json"


def test_without_a_build_pages_answer_503_naming_the_web_part(container_factory, web_config, rabbit_config,
                                                               http_client, tmp_path):  # fmt: skip
    container_factory(WebOnly, {**rabbit_config, **web_config, "WEB_DIST": str(tmp_path / "none")}).start()
    page = http_client.get("/")
    assert page.status_code == 503
    assert (page.json()["code"], page.json()["service"]) == ("SERVICE_UNAVAILABLE", "web")
    assert page.headers["Retry-After"] == "5"


def test_the_access_log_keeps_no_query_string(client, caplog):
    """Cek pesan puts a message's check code in the query; the access log line must not carry it."""
    with caplog.at_level("INFO", logger="nameko.web.server"):
        client.get("/api/v1/nothing?code=7K3QD-M2XPA")
    lines = [r.getMessage() for r in caplog.records if r.name == "nameko.web.server"]
    assert any("/api/v1/nothing?…" in line for line in lines), lines
    assert not any("7K3QD" in line for line in lines), lines
