"""The gateway's set of ended staff sessions (gateway/revocations.py): what it refuses, for how long, and what
a replica that has not loaded it yet does."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import GatewayError
from gateway.revocations import LISTENING_MARGIN_SECONDS, RevokedSessions


def later(seconds):
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


class Container:
    """What an extension reads of its nameko container."""

    config = {}

    def __init__(self):
        self.shared_extensions = {}


@pytest.fixture
def revoked():
    container = Container()  # held here: an extension keeps only a weak reference to it
    bound = RevokedSessions().bind(container)
    bound.setup()
    bound.start()
    yield bound


def code(revoked, claims):
    try:
        revoked.check(claims)
    except GatewayError as exc:
        return exc.code
    return None


def test_before_the_first_load_older_staff_tokens_wait_newer_ones_and_citizens_pass(revoked):
    now = int(time.time())
    assert code(revoked, {"sid": "s1", "iat": now - 60}) == "SERVICE_UNAVAILABLE"  # maybe ended before we started
    assert code(revoked, {"sid": "s1", "iat": now + int(LISTENING_MARGIN_SECONDS) + 2}) is None  # we heard since
    assert code(revoked, {"iat": now - 60}) is None  # no session: a citizen's token
    revoked.load([])
    assert code(revoked, {"sid": "s1", "iat": now - 60}) is None


def test_a_revoked_session_is_refused_until_its_tokens_would_have_run_out(revoked):
    revoked.load([{"session_id": "old", "expires_at": later(-1)}, {"session_id": "s1", "expires_at": later(300)}])
    revoked.add_revocation({"session_ids": ["s2"], "expires_at": later(300)})
    revoked.add_revocation(None)
    now = int(time.time())
    assert code(revoked, {"sid": "s1", "iat": now}) == "SESSION_REVOKED"
    assert code(revoked, {"sid": "s2", "iat": now}) == "SESSION_REVOKED"
    assert code(revoked, {"sid": "s3", "iat": now}) is None
    assert "old" not in revoked.until  # forgotten: its tokens have expired anyway
    assert not revoked.due()
