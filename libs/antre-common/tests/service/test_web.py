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
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
