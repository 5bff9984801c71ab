"""Helpers of the identity routes: the client address passed to identity, and 429 with Retry-After."""

import pytest
from nameko.exceptions import RemoteError
from werkzeug.test import EnvironBuilder

from antre_common.errors import NotFound, ServiceError
from gateway.errors import ERRORS, GatewayError
from gateway.http import TRUSTED_PROXIES_KEY, client_ip, retry_after, trusted_networks


def request(headers=None, remote="192.0.2.10", trusted=""):
    environ = {"REMOTE_ADDR": remote, TRUSTED_PROXIES_KEY: trusted_networks(trusted)}
    return EnvironBuilder(headers=headers or {}, environ_base=environ).get_request()


def test_the_client_address_is_the_peer_unless_a_trusted_proxy_forwarded_it():
    """Issue 21: never the raw first X-Forwarded-For hop, which any client can write."""
    assert client_ip(request()) == "192.0.2.10"
    # No trusted proxy configured: a forged header changes nothing.
    assert client_ip(request({"X-Forwarded-For": "203.0.113.5, 10.0.0.1"})) == "192.0.2.10"
    # Behind the ingress (10.0.0.0/8): the right-most hop that is not one of our proxies.
    ingress = {"remote": "10.0.0.7", "trusted": "10.0.0.0/8"}
    assert client_ip(request({"X-Forwarded-For": "203.0.113.5"}, **ingress)) == "203.0.113.5"
    forged = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5, 10.0.0.3"}  # the client wrote the first hop
    assert client_ip(request(forged, **ingress)) == "203.0.113.5"
    assert client_ip(request({"X-Forwarded-For": " "}, **ingress)) == "10.0.0.7"
    assert len(client_ip(request({"X-Forwarded-For": "x" * 500}, **ingress))) == 64


class Locked(ServiceError):
    code = "LOGIN_LOCKED"


def raising(exc):
    def call(*args, **kwargs):
        raise RemoteError(type(exc).__name__, str(exc))

    return call


def test_throttle_answers_become_429_with_retry_after():
    with pytest.raises(GatewayError) as caught:
        retry_after(raising(Locked("locked", retry_after=899)))
    assert caught.value.code == "LOGIN_LOCKED" and ERRORS["LOGIN_LOCKED"][0] == 429
    assert caught.value.headers == {"Retry-After": "899"}


def test_other_errors_pass_through_untouched():
    with pytest.raises(RemoteError):
        retry_after(raising(NotFound("nope")))
    assert retry_after(lambda x: x * 2, 21) == 42
