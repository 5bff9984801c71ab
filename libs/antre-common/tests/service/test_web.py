"""The HTTP server takes a crowd's connections: a listen backlog far above eventlet's 50."""

import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor

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

    # 300 connections opened at once all get answered.
    def connect(_):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).split(b" ")[1]

    with ThreadPoolExecutor(300) as pool:
        assert set(pool.map(connect, range(300))) == {b"200"}
