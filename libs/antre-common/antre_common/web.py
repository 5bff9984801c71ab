"""nameko's HTTP entrypoint on a server that takes a crowd's connections.

eventlet listens with a backlog of 50: at a quota release hundreds of phones connect in the same second, the
queue overflows, and the kernel drops their SYNs (they retry after a second or more, or give up). Every HTTP
entrypoint of a process must use this server: nameko shares one server per class, and two would fight
over the port.
"""

import logging
import re

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer

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


class CrowdWebServer(WebServer):
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
