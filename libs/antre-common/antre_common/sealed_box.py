"""Sealed boxes: a short secret encrypted for one service alone, with its public key, so the sender can seal
but never open it again (identity seals one-time codes for notification; neither database holds them in
the clear, nor the WAL or backups behind them).

ECIES over X25519: a fresh ephemeral key per box, HKDF-SHA256 over the shared secret (bound to both public
keys), AES-256-GCM with associated data that ties the box to its place (a user, a channel, a purpose). A box
is ``kid:base64url(ephemeral public key | nonce | ciphertext + tag)``.

Keys: the recipient holds a ring of private keys (``kid:base64(32 bytes)[,…]``, every key opens); the sender
holds the public key of the newest (``kid:base64(32 bytes)``). To rotate: add the new private key to the
recipient's ring, then give the sender the new public key, then drop the old private key once no box under
it can still be waiting (a one-time code lives minutes). ``python -m antre_common.sealed_box`` prints a
new pair.
"""

import base64
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from antre_common.keyring import NONCE_BYTES, KeyRingError, decode_key, key_entries

INFO = b"antre sealed box v1"
_RAW = {"encoding": serialization.Encoding.Raw, "format": serialization.PublicFormat.Raw}


def _b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key(shared, ephemeral_public, recipient_public):
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO + ephemeral_public + recipient_public)
    return AESGCM(hkdf.derive(shared))


class SealingKey:
    """The recipient's current public key: seals, cannot open."""

    def __init__(self, spec, setting):
        entries = list(key_entries(spec, setting))
        if len(entries) != 1:
            raise KeyRingError(f"{setting} is one kid:base64 public key")
        self.kid, raw = entries[0]
        self.public = X25519PublicKey.from_public_bytes(raw)
        self._public_raw = raw

    def seal(self, plaintext: str, aad: str) -> str:
        ephemeral = X25519PrivateKey.generate()
        ephemeral_public = ephemeral.public_key().public_bytes(**_RAW)
        nonce = os.urandom(NONCE_BYTES)
        box = _key(ephemeral.exchange(self.public), ephemeral_public, self._public_raw)
        sealed = box.encrypt(nonce, plaintext.encode(), aad.encode())
        return f"{self.kid}:{_b64(ephemeral_public + nonce + sealed)}"


class OpeningKeys:
    """The recipient's private keys by id: every one opens, so a key rotates without a lost box."""

    def __init__(self, spec, setting):
        self.keys = {kid: X25519PrivateKey.from_private_bytes(raw) for kid, raw in key_entries(spec, setting)}
        if not self.keys:
            raise KeyRingError(f"{setting} is empty")

    def open(self, sealed: str, aad: str) -> str:
        """The plaintext; ``KeyRingError`` for an unknown key id, ``InvalidTag`` when it does not authenticate
        (another place's box, or tampered)."""
        kid, _, encoded = sealed.partition(":")
        if kid not in self.keys:
            raise KeyRingError(f"no key {kid} configured")
        raw = decode_key(encoded, kid)
        ephemeral_public, nonce, body = raw[:32], raw[32 : 32 + NONCE_BYTES], raw[32 + NONCE_BYTES :]
        private = self.keys[kid]
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        box = _key(shared, ephemeral_public, private.public_key().public_bytes(**_RAW))
        return box.decrypt(nonce, body, aad.encode()).decode()

    def public_spec(self, kid):
        """``kid:base64`` of the public key of ``kid``: what the sender is given."""
        return f"{kid}:{_b64(self.keys[kid].public_key().public_bytes(**_RAW))}"


def one_time_code_aad(user_id, channel, purpose):
    """The associated data of a one-time code's box (identity seals, notification opens): a box opens only
    for the account, channel and purpose it was made for."""
    return f"otp:{user_id}:{channel}:{purpose}"


def new_pair(kid):
    """``(private_spec, public_spec)`` of a new key."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())  # fmt: skip
    return f"{kid}:{_b64(raw)}", f"{kid}:{_b64(private.public_key().public_bytes(**_RAW))}"


if __name__ == "__main__":  # pragma: no cover - an operator's tool
    private_spec, public_spec = new_pair(sys.argv[1] if len(sys.argv) > 1 else "o1")
    print(f"private (recipient's ring): {private_spec}\npublic (sender):           {public_spec}")
