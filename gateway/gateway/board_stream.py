"""The live board as server-sent events, fanned out by each gateway replica to its own viewers.

Every replica receives every ticket event of scheduling on its own broadcast queue (nameko's BROADCAST
handler type) and, only if one of its viewers watches that office, asks scheduling for the office's board
once and hands it to each of them: the database is read once per change and replica, never per viewer, and
nothing is polled. A viewer gets the board when it connects, then one ``board`` event per change (with the
ticket event that caused it, so a screen can announce a call), and a comment line every
``KEEPALIVE_SECONDS`` so proxies keep the connection open. A viewer too slow to take its messages loses the
oldest (each message is the whole board, so the newest is all it needs).
"""

import itertools
import json
from collections import defaultdict

from eventlet.queue import Empty, Full, LightQueue
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from antre_common.errors import ServiceUnavailable

KEEPALIVE_SECONDS = 15
QUEUE_SIZE = 8
DEFAULT_MAX_VIEWERS = 500  # per process: each viewer holds one green thread and one socket
RETRY_MILLISECONDS = 3000  # EventSource reconnects after this when the connection drops


class BoardHub(DependencyProvider):
    """One per gateway process: the board viewers of each office. Config ``BOARD_STREAM_MAX_VIEWERS``."""

    def setup(self):
        value = self.container.config.get("BOARD_STREAM_MAX_VIEWERS")
        self.max_viewers = DEFAULT_MAX_VIEWERS if value in (None, "") else int(value)
        self.viewers = defaultdict(set)
        self.ids = itertools.count(1)

    def get_dependency(self, worker_ctx):
        return self

    def count(self):
        return sum(len(v) for v in self.viewers.values())

    def subscribe(self, office_code):
        if self.count() >= self.max_viewers:
            raise ServiceUnavailable("too many board viewers on this replica")
        queue = LightQueue(QUEUE_SIZE)
        self.viewers[office_code].add(queue)
        return queue

    def unsubscribe(self, office_code, queue):
        viewers = self.viewers.get(office_code)
        if viewers is not None:
            viewers.discard(queue)
            if not viewers:
                self.viewers.pop(office_code, None)

    def watched(self, office_code):
        return bool(self.viewers.get(office_code))

    def publish(self, office_code, board, cause=None):
        message = message_of(next(self.ids), board, cause)
        for queue in list(self.viewers.get(office_code, ())):
            try:
                queue.put_nowait(message)
            except Full:
                try:
                    queue.get_nowait()
                except Empty:
                    pass
                queue.put_nowait(message)

    def stream(self, office_code, queue, board):
        """The response for one viewer who subscribed with ``queue`` before ``board`` was read."""
        response = Response(
            self._events(office_code, queue, message_of(0, board)), status=200, mimetype="text/event-stream"
        )
        response.headers["Cache-Control"] = "no-cache, no-store"
        response.headers["X-Accel-Buffering"] = "no"  # nginx ingress: pass each event on at once
        return response

    def _events(self, office_code, queue, first):
        try:
            yield f"retry: {RETRY_MILLISECONDS}\n{first}".encode()
            while True:
                try:
                    yield queue.get(timeout=KEEPALIVE_SECONDS).encode()
                except Empty:
                    yield b": keep-alive\n\n"
        finally:  # the viewer went away (the write failed) or the server stops
            self.unsubscribe(office_code, queue)


def message_of(event_id, board, cause=None):
    data = dict(board)
    if cause is not None:
        data["change"] = cause
    return f"id: {event_id}\nevent: board\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def cause_of(envelope):
    """What a screen may show of the ticket event behind a change (nothing personal is in these events,
    and the user id of a booked visitor is left out here too)."""
    data = envelope.get("data") or {}
    keep = ("ticket_number", "counter", "recall")
    return {"type": envelope.get("type"), **{k: data[k] for k in keep if k in data}}
