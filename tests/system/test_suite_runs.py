"""The foundation, end to end: every process up, observable, and an outage visible and bounded."""

import time

import requests

from antre_dev.stack import SERVICES


def test_every_process_is_ready_and_serves_its_metrics(stack, gateway):
    assert requests.get(f"{stack.internal_url('gateway')}/readyz", timeout=5).status_code == 200
    status = gateway.get("/api/v1/status")
    assert status.status_code == 200
    assert {s["name"]: s["status"] for s in status.json()["services"]} == dict.fromkeys(SERVICES, "up")
    assert status.headers["X-Request-Id"]
    for name in ("gateway", *SERVICES):
        base = stack.internal_url(name)
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        metrics = requests.get(f"{base}/metrics", timeout=5).text
        assert f'antre_{name}_entrypoint_calls_total{{entrypoint="' in metrics
        assert f"antre_{name}_entrypoint_duration_seconds_bucket" in metrics


def test_probes_and_metrics_answer_on_the_internal_port_only(stack):
    """Issue 17: the public port (the one the Service and Ingress route) answers 404 problem+json for them
    (a process with no public route, like identity, listens on no public port at all); the internal one
    (probes, Prometheus) serves them, with X-Request-Id and the security headers too."""
    for name in ("gateway", *SERVICES):
        for path in ("/metrics", "/readyz", "/healthz"):
            try:
                public = requests.get(f"{stack.config.url_of(name)}{path}", timeout=5)
            except requests.ConnectionError:
                assert name not in ("gateway", "documents"), f"{name} has public routes: its port must answer"
            else:
                assert public.status_code == 404, (name, path)
                assert public.headers["Content-Type"].startswith("application/problem+json"), (name, path)
                assert public.json()["code"] == "NOT_FOUND" and public.headers["X-Request-Id"]
            internal = requests.get(
                f"{stack.internal_url(name)}{path}", timeout=5, headers={"X-Request-Id": "probe-0001"}
            )
            assert internal.status_code == 200, (name, path)
            assert internal.headers["X-Request-Id"] == "probe-0001"
            assert internal.headers["X-Content-Type-Options"] == "nosniff", (name, path)
        assert "antre_" in requests.get(f"{stack.internal_url(name)}/metrics", timeout=5).text


def test_openapi_is_generated_from_the_routes(gateway):
    spec = gateway.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/status" in spec["paths"]


def test_errors_are_problem_json_in_the_callers_language(gateway):
    response = gateway.post("/api/v1/auth/login", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "MALFORMED_JSON"
    english = gateway.post(
        "/api/v1/auth/login",
        data="{not json",
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    ).json()
    assert english["detail"] != response.json()["detail"]


def test_a_stopped_service_shows_down_and_its_routes_answer_503_then_heal(stack, gateway):
    stack.stop_process("identity")
    try:
        started = time.monotonic()
        down = {s["name"]: s["status"] for s in gateway.get("/api/v1/status").json()["services"]}
        assert down["identity"] == "down"
        assert down["scheduling"] == "up"
        assert time.monotonic() - started < 5

        started = time.monotonic()
        response = gateway.post("/api/v1/auth/login", json={"email": "someone@example.com", "password": "x" * 12})
        assert response.status_code == 503
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
        assert time.monotonic() - started < 5 + 1  # RPC_TIMEOUT_SECONDS and a little
    finally:
        stack.start_service("identity")
    up = {s["name"]: s["status"] for s in gateway.get("/api/v1/status").json()["services"]}
    assert up["identity"] == "up"


def test_documents_readiness_names_the_object_store_when_it_stops(stack, gateway):
    url = f"{stack.internal_url('documents')}/readyz"
    stack.stop_s3()
    try:
        response = requests.get(url, timeout=10)
        assert response.status_code == 503
        assert response.json()["failed"] == ["storage"]
        # The public status page reads the same readiness: documents answers its ping, but is down for people.
        documents = {s["name"]: s for s in gateway.get("/api/v1/status").json()["services"]}["documents"]
        assert (documents["status"], documents["failed"]) == ("down", ["storage"])
    finally:
        stack.start_s3()
    assert requests.get(url, timeout=10).status_code == 200
    documents = {s["name"]: s for s in gateway.get("/api/v1/status").json()["services"]}["documents"]
    assert (documents["status"], documents["failed"]) == ("up", [])
