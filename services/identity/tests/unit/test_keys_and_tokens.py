"""Sealing personal data, lookups, token signing, and argon2 off the eventlet hub."""

import base64
import os
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import eventlet
import jwt
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from antre_common.keyring import KeyRing
from identity.secrets_box import KeyConfigError, Passwords, Sealer
from identity.tokens import TokenSigner


def key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_sealed_values_round_trip_and_carry_their_key_id():
    box = Sealer(f"k1:{key()}", "lookup")
    sealed = box.seal("3171015708450001", "user:1:nik")
    assert sealed.startswith("k1:") and "3171015708450001" not in sealed
    assert box.open(sealed, "user:1:nik") == "3171015708450001"
    assert box.seal("x", "a") != box.seal("x", "a")  # fresh nonce each time


def test_a_value_moved_to_another_row_or_tampered_does_not_open():
    box = Sealer(f"k1:{key()}", "lookup")
    sealed = box.seal("Siti", "user:1:full_name")
    with pytest.raises(InvalidTag):
        box.open(sealed, "user:2:full_name")
    kid, _, body = sealed.partition(":")
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        box.open(f"{kid}:{base64.b64encode(bytes(raw)).decode()}", "user:1:full_name")


def test_keys_rotate_the_first_encrypts_and_old_ones_still_decrypt():
    old, new = key(), key()
    sealed_old = Sealer(f"k1:{old}", "l").seal("x", "a")
    rotated = Sealer(f"k2:{new},k1:{old}", "l")
    assert rotated.open(sealed_old, "a") == "x"
    assert rotated.seal("x", "a").startswith("k2:")


def test_bad_key_configuration_is_refused():
    for bad in ("", "k1", f"k1:{base64.b64encode(b'short').decode()}"):
        with pytest.raises(KeyConfigError):
            KeyRing(bad, "DATA_KEYS")
    with pytest.raises(KeyConfigError):
        Sealer(f"k1:{key()}", "")


def test_lookups_are_keyed_and_the_person_reference_is_32_hex():
    a, b = Sealer(f"k1:{key()}", "one"), Sealer(f"k1:{key()}", "two")
    assert a.lookup("email", "s@x.id") == a.lookup("email", "s@x.id") != b.lookup("email", "s@x.id")
    assert a.lookup("email", "3171") != a.lookup("nik", "3171")
    ref = a.person_ref("3171015708450001")
    assert len(ref) == 32 and int(ref, 16) >= 0


def test_access_tokens_have_exactly_the_contract_claims_and_verify_with_the_public_key():
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signer = TokenSigner(pem)
    now = datetime.now(UTC)
    user = SimpleNamespace(
        id="0b6e0c1e-0000-4000-8000-000000000001", role="officer", office_code="JKT", person_ref=None
    )
    token = signer.access_token(user, now)
    claims = jwt.decode(token, private.public_key(), algorithms=["EdDSA"], audience="antre", issuer="antre-identity")
    assert set(claims) == {"sub", "role", "office", "typ", "iss", "aud", "iat", "exp", "jti"}
    assert (claims["role"], claims["office"], claims["typ"]) == ("officer", "JKT", "access")
    assert claims["exp"] - claims["iat"] == 15 * 60
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["EdDSA"], audience="antre")


def test_argon2id_hashes_verify_and_reject():
    passwords = Passwords()
    hashed = passwords.hash("kopi susu di pagi hari")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "kopi susu di pagi hari")
    assert not passwords.verify(hashed, "kopi susu di sore hari")
    assert not passwords.verify(None, "anything at all")  # unknown account: the dummy hash, then False


def test_hashing_runs_in_a_real_thread_so_the_hub_keeps_ticking():
    """An expensive hash on the hub would freeze every green thread (and the AMQP heartbeat) for its
    whole duration; in the thread pool the hub keeps its 10 ms tick."""
    passwords = Passwords(time_cost=3, memory_cost=65536, parallelism=1)
    gaps, running = [], [True]

    def tick():
        last = time.perf_counter()
        while running[0]:
            eventlet.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = eventlet.spawn(tick)
    started = time.perf_counter()
    passwords.hash("a long enough passphrase")
    took = time.perf_counter() - started
    running[0] = False
    ticker.wait()
    assert took > 0.08  # the hash is expensive enough that blocking would show
    assert max(gaps) < took * 0.6, (max(gaps), took)


def test_a_lookup_key_ring_hashes_with_the_first_key_and_matches_every_key():
    old, new = "kunci-lama-0123456789abcdef", "kunci-baru-0123456789abcdef"
    before = Sealer(f"k1:{key()}", old)  # a bare secret: the one key of an older release
    ring = Sealer(f"k1:{key()}", f"l2:{new},l1:{old}", person_ref_key=old)
    assert ring.lookup_kid == "l2" and before.lookup_kid == ""
    assert ring.lookups("email", "a@b.id") == [
        Sealer(f"k1:{key()}", new).lookup("email", "a@b.id"),
        before.lookup("email", "a@b.id"),
    ]
    assert ring.lookup("email", "a@b.id") != before.lookup("email", "a@b.id")
    assert ring.person_ref("3171015708450001") == before.person_ref("3171015708450001")  # never changes
    assert ring.otp_matches(before.otp_hash("id-1", "123456"), "id-1", "123456")  # a code sent before the change
    assert not ring.otp_matches(before.otp_hash("id-1", "123456"), "id-1", "123457")
    for bad in (f"l2:{new},l2:{old}", "l2:short", f":{new}"):
        with pytest.raises(KeyConfigError):
            Sealer(f"k1:{key()}", bad, person_ref_key=old)
    with pytest.raises(KeyConfigError):  # several keys and no word on which made the person references
        Sealer(f"k1:{key()}", f"l2:{new},l1:{old}")
