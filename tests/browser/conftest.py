"""Browser tests: Debian's Chromium, driven by Playwright, against the whole suite as processes. Each test
saves screenshots at 360 px and 1280 px under var/test-artifacts/web/; ``UPDATE_SCREENSHOTS=1`` also writes
the 360 px ones to docs/screenshots/ (shown in the README).

    def test_home(new_page, shots, axe):
        page = new_page()
        page.goto("/")
        shots(page, "home")     # var/test-artifacts/web/home-360.png and home-1280.png
        axe(page)               # no serious or critical accessibility violation

This tier runs in a pytest process of its own, without the eventlet monkey-patching of the service and system
tiers (``make test-browser`` passes ``-p no:antre_common``): Playwright's sync API runs an asyncio loop, which
a patched process cannot shut down (the session hangs at its end).
"""

import json
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from antre_dev import totp
from antre_dev.mailbox import Mailbox
from antre_dev.stack import Stack, StackConfig

from ..system.people import admin_access_token, staff_sign_in

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "web"
DOC_SHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container: no sandbox; no calls home (this machine has no internet and Chromium would retry).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The whole suite as processes on free ports, with its own vhost and databases."""
    with Stack(StackConfig.for_tests(tmp_path_factory.mktemp("stack"))) as running:
        yield running


class Gateway(requests.Session):
    """``gateway.post("/api/v1/...", json=...)`` against the stack's gateway, with a timeout."""

    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.base_url + url, *args, **kwargs)


@pytest.fixture
def gateway(stack):
    return Gateway(stack.config.gateway_url)


@pytest.fixture
def mailbox(stack):
    return Mailbox(stack.config.mail_dir)


@pytest.fixture
def admin_token(stack, gateway):
    return admin_access_token(stack, gateway)


@pytest.fixture
def make_staff(gateway, admin_token):
    """``make_staff("officer", "AMQ")``: a staff account made by the admin through the API (email, password...),
    with an authenticator enrolled through the API too (``totp_secret``), so ``sign_in`` types its codes;
    ``make_staff(..., enrolled=False)`` leaves enrolment to the console."""

    def make(role, office, enrolled=True):
        account = {
            "email": f"{role}.{uuid.uuid4().hex[:8]}@imigrasi.go.id",
            "full_name": "Rudi Hartono",
            "password": "loket nomor tujuh belas",
            "role": role,
            "office_code": office,
        }
        made = gateway.post("/api/v1/admin/staff", json=account, headers={"Authorization": f"Bearer {admin_token}"})
        assert made.status_code == 201, made.text
        account["user_id"] = made.json()["user_id"]
        if enrolled:
            _, account["totp_secret"] = staff_sign_in(gateway, account["email"], account["password"])
        return account

    return make


def sign_in(page, account, path):
    """Sign in at the office console's form, shown at any console address when nobody is signed in; staff with
    an authenticator (``totp_secret``) then type its code, as they would from their phone."""
    page.goto(path)
    expect(page.get_by_role("heading", name="Masuk ke konsol kantor")).to_be_visible()
    page.get_by_label("Alamat email dinas").fill(account["email"])
    page.get_by_label("Kata sandi").fill(account["password"])
    page.get_by_role("button", name="Masuk", exact=True).click()
    if account.get("totp_secret"):
        expect(page.get_by_role("heading", name="Kode autentikator")).to_be_visible()
        page.get_by_label("Kode 6 angka").fill(totp.code(account["totp_secret"]))
        page.get_by_role("button", name="Masuk", exact=True).click()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageErrors:
    """Console errors and uncaught exceptions of a page (a CSP refusal shows up here too)."""

    def __init__(self, page):
        self.items = []
        page.on("pageerror", lambda exc: self.items.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and self.items.append(f"console: {msg.text}"))

    def unexpected(self, allowed=()):
        return [e for e in self.items if not any(re.search(a, e) for a in allowed)]


@pytest.fixture
def new_page(browser, stack):
    """``new_page(width=360)``: a page in a fresh context (its own storage) with the gateway as base URL.
    At the end of the test, any uncaught script error fails it; network errors the test caused on purpose
    (offline, a stopped service) are listed in ``page.allowed_errors``."""
    contexts = []

    def make(viewport=PHONE, **options):
        context = browser.new_context(base_url=stack.config.gateway_url, viewport=viewport, locale="id-ID", **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = PageErrors(page)
        page.allowed_errors = [r"Failed to load resource"]
        return page

    yield make
    failures = []
    for context in contexts:
        for page in context.pages:
            failures += page.errors.unexpected(page.allowed_errors)
        context.close()
    assert not failures, failures


@pytest.fixture
def shots(request):
    """``shots(page, "name")``: full-page screenshots at 360 px and 1280 px wide; the viewport is restored."""

    def take(page, name):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        before = page.viewport_size
        for width, size in ((360, PHONE), (1280, DESKTOP)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)  # layout after the resize
            path = ARTIFACTS / f"{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            if width == 360 and os.environ.get("UPDATE_SCREENSHOTS"):
                DOC_SHOTS.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, DOC_SHOTS / f"{name}.png")
        page.set_viewport_size(before)

    return take


@pytest.fixture(scope="session")
def axe_source():
    return AXE.read_text()


@pytest.fixture
def axe(axe_source):
    """``axe(page)``: runs axe-core (WCAG 2.1 A/AA and best practices) in the page; fails on any serious or
    critical violation, naming the rule and the elements."""

    def check(page, exclude=()):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP does not apply to it
        results = page.evaluate(
            """(exclude) => axe.run({exclude: exclude.map((s) => [s])},
                {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})""",
            list(exclude),
        )
        blocking = [
            {"rule": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"]
            if v["impact"] in BLOCKING
        ]
        assert not blocking, json.dumps(blocking, indent=1)
        return results

    return check
