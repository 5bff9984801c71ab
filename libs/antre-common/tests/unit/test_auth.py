"""antre_common.auth: the one token check of the gateway and the services."""

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from antre_common.auth import (
    CallerNotAllowed,
    CallerView,
    NotThePerson,
    TokenExpired,
    Unauthenticated,
    load_public_keys,
    service_of,
    verify_token,
)

pytestmark = pytest.mark.unit


def pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(key, **claims):
    now = int(time.time())
    payload = {"typ": "access", "iss": "antre-identity", "aud": "antre", "iat": now, "exp": now + 60,
               "sub": str(uuid.uuid4()), "role": "citizen", **claims}  # fmt: skip
    return jwt.encode(payload, key, algorithm="EdDSA")


KEY, NEXT, STRANGER = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
KEYS = load_public_keys({"JWT_PUBLIC_KEY": (pem(NEXT) + pem(KEY)).decode()})  # a rotation: both


def test_tokens_of_either_key_of_a_rotation_pass_and_nothing_else_does():
    assert verify_token(sign(KEY, role="officer", office="JKT1"), KEYS).office_code == "JKT1"
    assert verify_token(sign(NEXT), KEYS).role == "citizen"
    for token in (
        sign(STRANGER),
        sign(KEY, aud="elsewhere"),
        sign(KEY, iss="someone"),
        sign(KEY, typ="refresh"),
        jwt.encode({"sub": "x", "exp": int(time.time()) + 60, "iat": 0}, key=None, algorithm="none"),
        "",
        None,
        "garbage",
    ):
        with pytest.raises(Unauthenticated):
            verify_token(token, KEYS)
    with pytest.raises(TokenExpired):
        verify_token(sign(KEY, exp=int(time.time()) - 5), KEYS)
    with pytest.raises(Unauthenticated):
        verify_token(sign(KEY), [])  # no key configured: nobody passes


def test_identity_verifies_with_the_public_half_of_its_own_key():
    private = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    assert verify_token(sign(KEY), load_public_keys({"JWT_PRIVATE_KEY": private}))


def test_the_caller_view():
    user = str(uuid.uuid4())
    view = CallerView({"access_token": sign(KEY, sub=user), "caller_service": "antre_sys_1.gateway"}, KEYS, True)
    assert view.service == "gateway" and view.require_service("gateway") == "gateway"
    with pytest.raises(CallerNotAllowed):
        view.require_service("notification")
    assert view.person_is(user).user_id == user
    with pytest.raises(NotThePerson):
        view.person_is(str(uuid.uuid4()))
    with pytest.raises(NotThePerson):
        view.staff_member("admin")
    assert CallerView({"caller_service": "gateway"}, KEYS, False).service is None  # not from a CallerRpc
    assert service_of(None) is None
