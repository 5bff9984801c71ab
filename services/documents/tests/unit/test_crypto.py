import base64
import os

import pytest

from documents.crypto import CryptoError, Keyring


def key(kid):
    return f"{kid}:" + base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_round_trip_and_the_plaintext_is_not_in_the_blob():
    ring = Keyring(key("k1"))
    plain = b"NIK 3171234567890001 " * 50
    kid, blob = ring.encrypt(plain, "booking/doc")
    assert kid == "k1"
    assert plain[:21] not in blob
    assert ring.decrypt(blob, "booking/doc") == plain


def test_the_first_key_encrypts_and_every_key_decrypts_after_rotation():
    old = key("old")
    _, blob = Keyring(old).encrypt(b"before rotation", "a/b")
    rotated = Keyring(",".join([key("new"), old]))
    assert rotated.current == "new"
    assert rotated.decrypt(blob, "a/b") == b"before rotation"


def test_a_blob_under_another_object_key_or_tampered_does_not_decrypt():
    ring = Keyring(key("k1"))
    _, blob = ring.encrypt(b"secret", "a/b")
    with pytest.raises(CryptoError):
        ring.decrypt(blob, "a/c")
    with pytest.raises(CryptoError):
        ring.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), "a/b")


@pytest.mark.parametrize("spec", ["", "k1", "k1:" + base64.b64encode(b"short").decode(), "k1:not base64!!"])
def test_bad_key_configuration_is_refused(spec):
    with pytest.raises(CryptoError):
        Keyring(spec)
