"""nameko's HTTP entrypoint on a server that takes a crowd's connections and answers like an API.

eventlet listens with a backlog of 50: at a quota release hundreds of phones connect in the same second, the
queue overflows, and the kernel drops their SYNs (they retry after a second or more, or give up). Every HTTP
entrypoint of a process must use this server: nameko shares one server per class, and two would fight
over the port.

Every response of the process (API, web app, health, metrics) leaves through ``EdgeApp``: it carries an
``X-Request-Id`` and the security headers, and what werkzeug's router answers itself (a path or a method no
route has) is problem+json like every other error, never an HTML page. An answer given before the request's
body was read (a 413) ends with a lingering close, so the client reads it instead of a connection reset.
"""

import json
import logging
import os
import re
import socket

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp, parse_address
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from antre_common.context import accept_request_id

LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn (4096 on current Linux)
ACCESS_LOG = "nameko.web.server"  # where nameko's eventlet server writes one line per request
_QUERY = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')


class NoQueryStrings(logging.Filter):
    """Access log lines without their query strings: a query may carry what a person typed (a message's
    check code on Cek pesan, a reservation code), which must not end up in logs."""

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1?…", record.msg)
        return True


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
ROUTER_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
# An answer given before the request's body was read (413, or 401/404 before an upload is streamed): the
# rest of the body is still read and dropped for this long, or this much, after the answer, then the
# connection closes. Closing at once with unread data makes the kernel reset the connection, and a client
# still sending sees a network error instead of the answer; reading on without a bound (eventlet's
# keep-alive discard) lets one client make the process read gigabytes.
LINGER_SECONDS = 5
LINGER_BYTES = 32 * 1024 * 1024
# A small unread body (a 401 for a JSON request without a token) is read and dropped at once instead: the
# connection stays open for the client's next request, as keep-alive clients (requests, browsers) expect.
DRAIN_BYTES = 64 * 1024


def plain_problem(code, status, lang, request_id):
    """Services' own ports (health, metrics) have no error table: a minimal RFC 9457 body. The gateway
    replaces it with its own (``use_problems``), in the caller's language."""
    return status, {"type": "about:blank", "title": code.replace("_", " ").capitalize(), "status": status,
                    "code": code, "request_id": request_id}  # fmt: skip


_problems = {"render": plain_problem}


def use_problems(render):
    """``render(code, status, lang, request_id) -> (status, body)`` for the router's own 404 and 405."""
    _problems["render"] = render


CATCH_ALL = "/<path:path>"  # the gateway's answer for paths it does not have


class EdgeApp(WsgiApp):
    def __init__(self, server):
        super().__init__(server)
        # The routes without the catch-all: a path that one of them has, asked with a method it lacks, is a
        # 405 with the methods it has, not the catch-all's 404.
        self.routes = Map([rule.empty() for rule in self.url_map.iter_rules() if rule.rule != CATCH_ALL])

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        request_id = accept_request_id(request.headers.get("X-Request-Id"))
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            if provider.url == CATCH_ALL and isinstance(self.without_catch_all(environ), MethodNotAllowed):
                raise self.without_catch_all(environ)
            request.path_values = values
            response = provider.handle_request(request)
        except MethodNotAllowed:
            # Allow lists what the path's own routes take, not the catch-all's methods; no route: 404.
            response = self.router_problem(request, self.without_catch_all(environ) or NotFound(), request_id)
        except HTTPException as exc:
            response = self.router_problem(request, exc, request_id)
        headers = response.headers
        if linger_if_unread(environ):
            headers["Connection"] = "close"  # the client must not send its next request on this connection
        if "X-Request-Id" not in headers:
            headers["X-Request-Id"] = request_id
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        return response(environ, start_response)

    def without_catch_all(self, environ):
        """What the routes other than the catch-all say of this request: None (one takes it), NotFound or
        MethodNotAllowed (with the methods the path has)."""
        try:
            self.routes.bind_to_environ(environ).match()
        except HTTPException as exc:
            return exc
        return None

    @staticmethod
    def router_problem(request, exc, request_id):
        code = ROUTER_CODES.get(exc.code, "NOT_FOUND")
        lang = request.accept_languages.best_match(("id", "en"), default="id") or "id"
        status, body = _problems["render"](code, exc.code if exc.code in ROUTER_CODES else 404, lang, request_id)
        response = Response(
            json.dumps(body, ensure_ascii=False), status=status, content_type="application/problem+json"
        )
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response


def body_unread(request_input):
    if request_input.chunked_input:
        return request_input.chunk_length != 0  # 0 once the last chunk was read
    return request_input.position < (request_input.content_length or 0)


def linger_if_unread(environ):
    """After an answer that left the body unread: a small body is read and dropped (``DRAIN_BYTES``); a larger
    one gets a lingering close (``LINGER_SECONDS``, ``LINGER_BYTES``) instead of eventlet's reset (connection
    closing) or its unbounded read (keep-alive). True when the connection will close."""
    request_input = environ.get("eventlet.input")
    if request_input is None or not body_unread(request_input):
        return False
    left = None if request_input.chunked_input else request_input.content_length - request_input.position
    if left is not None and left <= DRAIN_BYTES:
        request_input.read(left)  # small and (nearly always) already sent: keep the connection
        return False
    # eventlet now sees a finished body: it neither reads the rest itself nor parses it as the next request
    # (the hook ends the connection).
    request_input.chunked_input, request_input.content_length = False, request_input.position
    environ["eventlet.posthooks"].append((lingering_close, (request_input.rfile,), {}))
    return True


def lingering_close(environ, rfile):
    """eventlet posthook, once the answer is written: FIN to the client (the answer is complete), read and
    drop what it still sends within the bounds, then shut the connection (eventlet's next read sees its end)."""
    conn = socket.socket(fileno=os.dup(rfile.fileno()))  # the connection's socket, to shut it down
    try:
        conn.shutdown(socket.SHUT_WR)
        dropped = 0
        with eventlet.Timeout(LINGER_SECONDS, False):
            while dropped < LINGER_BYTES:
                data = rfile.read1(64 * 1024)
                if not data:
                    break
                dropped += len(data)
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client has gone already
    finally:
        conn.close()


class CrowdWebServer(WebServer):
    def get_wsgi_app(self):
        return EdgeApp(self)

    def start(self):
        already = self._starting
        super().start()
        if not already:
            self._sock.listen(LISTEN_BACKLOG)  # Linux takes a new backlog on a listening socket
            access = logging.getLogger(ACCESS_LOG)
            if not any(isinstance(f, NoQueryStrings) for f in access.filters):
                access.addFilter(NoQueryStrings())


class HttpEntrypoint(HttpRequestHandler):
    server = CrowdWebServer()


http = HttpEntrypoint.decorator

INTERNAL_ADDRESS_KEY = "INTERNAL_SERVER_ADDRESS"
INTERNAL_ADDRESS_DEFAULT = "127.0.0.1:0"  # unset: loopback only, never where the public port listens


class InternalWebServer(CrowdWebServer):
    """A second server on ``INTERNAL_SERVER_ADDRESS`` for what only the cluster may ask (liveness, readiness,
    metrics): probes and Prometheus reach it on the pod's address, while the Service and the Ingress route
    the public port alone (security review, issue 17). Its own class, so nameko shares it apart from the
    public server; the same ``EdgeApp``, so the same X-Request-Id, security headers and problem+json."""

    @property
    def bind_addr(self):
        return parse_address(self.container.config.get(INTERNAL_ADDRESS_KEY) or INTERNAL_ADDRESS_DEFAULT)


class InternalHttpEntrypoint(HttpRequestHandler):
    server = InternalWebServer()


internal_http = InternalHttpEntrypoint.decorator
