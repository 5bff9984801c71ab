"""The HTTP server takes a crowd's connections: a listen backlog far above eventlet's 50."""

import subprocess

import requests

from antre_common.health import ServiceBase
from antre_common.web import LISTEN_BACKLOG, http


class Web(ServiceBase):
    name = "web"

    @http("GET", "/hello")
    def hello(self, request):
        return "hello"


def test_the_listen_backlog_is_raised_and_all_entrypoints_share_the_server(
    container_factory, rabbit_config, web_config
):
    container = container_factory(Web, {**rabbit_config, **web_config})
    container.start()
    port = int(web_config["WEB_SERVER_ADDRESS"].rsplit(":", 1)[1])
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True)
    send_q = int(listening.stdout.split()[2])  # for a listening socket ss shows the backlog as Send-Q
    assert send_q == LISTEN_BACKLOG > 50
    url = f"http://127.0.0.1:{port}"
    assert requests.get(f"{url}/hello", timeout=5).text == "hello"
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 404  # on the internal port only


def test_probes_and_metrics_are_on_the_internal_port_and_the_public_one_answers_404(
    container_factory, rabbit_config, web_config
):
    """Issue 17: the Service and the Ingress route the public port alone; probes and Prometheus use the
    internal one. Both answer through EdgeApp: X-Request-Id and the security headers on every response."""
    from nameko.testing.utils import find_free_port

    internal = f"127.0.0.1:{find_free_port()}"
    container_factory(Web, {**rabbit_config, **web_config, "INTERNAL_SERVER_ADDRESS": internal}).start()
    public = f"http://{web_config['WEB_SERVER_ADDRESS']}"
    for path in ("/metrics", "/readyz", "/healthz"):
        answer = requests.get(public + path, timeout=5)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json()["code"] == "NOT_FOUND" and answer.headers["X-Request-Id"]
        assert answer.headers["X-Frame-Options"] == "DENY"
    metrics = requests.get(f"http://{internal}/metrics", timeout=5, headers={"X-Request-Id": "scrape-1"})
    assert metrics.status_code == 200 and "antre_web_entrypoint_calls_total" in metrics.text
    assert metrics.headers["X-Request-Id"] == "scrape-1" and metrics.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"http://{internal}/readyz", timeout=5).status_code == 200
    assert requests.get(f"http://{internal}/hello", timeout=5).status_code == 404  # the API is not there either
    assert requests.get(f"{public}/hello", timeout=5).text == "hello"
