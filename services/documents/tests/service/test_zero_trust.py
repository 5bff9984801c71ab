"""Finding 1 of issue 17: one RPC with ``{"role": "admin"}`` as its principal argument returned another
citizen's KTP scan. Documents now believes only the access token in the RPC context, verified with
identity's public key, and gives a document's content only to the gateway as the broker proves it."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nameko.exceptions import IncorrectSignature, RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from antre_common.auth import ACCESS_TOKEN_KEY, CALLER_KEY, CallerNotAllowed, TokenExpired, Unauthenticated
from documents import samples
from documents.exceptions import NotFound

from .conftest import OWNER, new_booking, stored_form

ADMIN = {"user_id": "33333333-3333-4333-8333-333333333333", "role": "admin", "office_code": None}
OTHER_CITIZEN = {"user_id": "44444444-4444-4444-8444-444444444444", "role": "citizen", "office_code": None}


@pytest.fixture
def document(client):
    booking = new_booking()
    client.event("booking_created", booking, "on_booking_created")
    return client.upload(booking["reservation_code"], "ktp", samples.pdf())


def test_a_principal_argument_on_the_bus_is_no_authority(config, client, document, test_tokens):
    with ClusterRpcProxy(config) as cluster:
        with pytest.raises(IncorrectSignature):
            cluster.documents.download_grant(document["document_id"], {"user_id": "x", "role": "admin"})
        # A valid token of the owner and a header that claims to be the gateway: the header is dropped, and
        # this test's broker login ("guest") is no gateway.
        context = {ACCESS_TOKEN_KEY: test_tokens.token(OWNER), CALLER_KEY: "gateway"}
    with ClusterRpcProxy(config, context_data=context) as cluster:
        with pytest.raises(RemoteError) as not_gateway:
            cluster.documents.download_grant(document["document_id"])
        assert not_gateway.value.exc_type == "CallerNotAllowed"
        assert "grant" not in not_gateway.value.value


def test_content_needs_a_valid_token_of_someone_allowed(client, document, test_tokens):
    doc_id = document["document_id"]
    assert client.content(doc_id) == stored_form(samples.pdf())  # the owner, through the gateway
    assert client.content(doc_id, principal=ADMIN) == stored_form(samples.pdf())  # a real admin token: national
    with pytest.raises(NotFound):
        client.content(doc_id, principal=OTHER_CITIZEN)
    with pytest.raises(Unauthenticated):
        client.call("download_grant", doc_id, as_=None)  # no token at all
    with pytest.raises(CallerNotAllowed):
        client.call("download_grant", doc_id, caller="scheduling")  # another service of the suite


@pytest.mark.parametrize(
    "make_token, refused",
    [
        (lambda t: t.token(ADMIN, key=Ed25519PrivateKey.generate()), Unauthenticated),  # forged: another key
        (lambda t: t.token(ADMIN, ttl=-60), TokenExpired),
        (lambda t: jwt.encode(claims(ADMIN), key=None, algorithm="none"), Unauthenticated),  # unsigned
        (lambda t: t.token(ADMIN, aud="somewhere-else"), Unauthenticated),
        (lambda t: t.token(ADMIN, iss="someone-else"), Unauthenticated),
        (lambda t: t.token(ADMIN, typ="refresh"), Unauthenticated),
    ],
    ids=["other-key", "expired", "unsigned", "audience", "issuer", "not-access"],
)
def test_forged_expired_or_unsigned_tokens_are_refused(client, document, test_tokens, make_token, refused):
    context = {ACCESS_TOKEN_KEY: make_token(test_tokens), CALLER_KEY: "gateway"}
    with pytest.raises(refused):
        with entrypoint_hook(client.container, "download_grant", context_data=context) as hook:
            hook(document["document_id"])


def claims(principal):
    now = int(time.time())
    return {"typ": "access", "iss": "antre-identity", "aud": "antre", "iat": now, "exp": now + 300,
            "sub": principal["user_id"], "role": principal["role"]}  # fmt: skip
