"""Staff sessions that ended, refused at the edge at once: the gateway's small revocation set.

Staff access tokens carry ``sid`` (their session, identity's refresh-token family) and live 5 minutes. When
a staff session ends (logout, "end all sessions", disabled, second factor reset, a reused refresh token),
identity publishes ``sessions_revoked`` and every replica adds the ids to this set, each until the moment its
tokens would have run out anyway, so the set holds at most a few minutes of ended sessions. The replica that
handled the logout or the admin's action adds them from identity's answer before the event arrives, so the
person who asked sees the token refused on their very next request.

A replica that starts (or missed events: the broadcast queue is not durable) loads the set from identity
(``revoked_sessions``) at start and then every ``REVOCATIONS_RELOAD_SECONDS``. Until the first load succeeded
it cannot know which sessions ended before it started, so a staff token issued before then waits for that
load a moment (``LOAD_WAIT_SECONDS``, the next tick) and answers 503 if it still has not come (fail closed).
A token issued after the replica started listening (``iat`` past its start plus a margin for the queue's
binding) is accepted meanwhile: a session that ends from then on is told by the event. Citizens' tokens carry
no ``sid`` and are not revoked this way.
"""

import math
import time
from datetime import datetime

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.timer import Timer

from gateway.errors import GatewayError

DEFAULT_RELOAD_SECONDS = 60.0
TICK_SECONDS = 1.0  # how soon a replica that could not load yet (identity starting) tries again
LISTENING_MARGIN_SECONDS = 2.0  # from this extension's start to the broadcast queue consuming, generously
LOAD_WAIT_SECONDS = 2.0  # a request that needs the first load waits this long for it before its 503


def _epoch(value):
    return datetime.fromisoformat(value).timestamp()


class RevokedSessions(SharedExtension):
    """One per process: ``{session id: when it may be forgotten}``, shared by the token verifier and routes."""

    def setup(self):
        self.until = {}
        self.loaded = False
        self.loaded_at = 0.0
        self.listening_since = math.inf
        self.first_load = Event()
        value = self.container.config.get("REVOCATIONS_RELOAD_SECONDS")
        self.reload_seconds = DEFAULT_RELOAD_SECONDS if value in (None, "") else float(value)

    def start(self):
        self.listening_since = time.time() + LISTENING_MARGIN_SECONDS

    def due(self):
        """Time to load from identity: never loaded yet, or the last load is ``reload_seconds`` old."""
        return not self.loaded or time.monotonic() - self.loaded_at >= self.reload_seconds

    def check(self, claims):
        """Refuses a token whose session ended; a staff token while this replica does not know yet (503)."""
        sid = claims.get("sid")
        if not sid:
            return  # citizens' tokens (and tokens minted without a session) are not revoked this way
        if not self.loaded and claims.get("iat", 0) < math.ceil(self.listening_since):
            with eventlet.Timeout(LOAD_WAIT_SECONDS, False):
                self.first_load.wait()
            if not self.loaded:
                raise GatewayError("SERVICE_UNAVAILABLE", service="identity")
        if self.is_revoked(sid):
            raise GatewayError("SESSION_REVOKED")

    def add(self, session_ids, expires_at):
        forget_at = _epoch(expires_at)
        for sid in session_ids or ():
            self.until[str(sid)] = max(forget_at, self.until.get(str(sid), 0))

    def add_revocation(self, revocation):
        """``{session_ids, expires_at}`` as identity answers or publishes it; None is nothing."""
        if revocation:
            self.add(revocation.get("session_ids"), revocation["expires_at"])

    def load(self, entries):
        """identity's ``revoked_sessions`` answer, merged (an event may have come in meanwhile)."""
        for entry in entries:
            self.add([entry["session_id"]], entry["expires_at"])
        self.loaded, self.loaded_at = True, time.monotonic()
        if not self.first_load.ready():
            self.first_load.send(True)
        self._prune()

    def _prune(self):
        now = time.time()
        for sid in [s for s, until in self.until.items() if until <= now]:
            self.until.pop(sid, None)

    def is_revoked(self, sid):
        until = self.until.get(sid)
        return until is not None and until > time.time()


class Revocations(DependencyProvider):
    """``self.revocations`` in the routes: the process's ``RevokedSessions``."""

    revoked = RevokedSessions()

    def get_dependency(self, worker_ctx):
        return self.revoked


class RevocationTick(Timer):
    """Fires at start and every few seconds; the entrypoint loads from identity only when ``due()``."""

    def __init__(self, **kwargs):
        super().__init__(interval=TICK_SECONDS, eager=True, **kwargs)


revocation_tick = RevocationTick.decorator
