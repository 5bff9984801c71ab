"""An AES-256-GCM key ring from ``kid:base64key[,kid:base64key…]``: the first key encrypts, every key
decrypts, so a key rotates by putting a new one first. Keys are 32 bytes, standard or URL-safe base64.

Each user frames the ciphertext its own way (identity: a text column, documents: an object); the ring only
seals and opens with a key id and the associated data that binds a ciphertext to its place.
"""

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyRingError(ValueError):
    """A key configuration that cannot work, or a ciphertext no configured key opens."""


def decode_key(value, kid):
    """A key as configured (base64, URL-safe or not, padding optional) → bytes."""
    value = value.strip()
    try:
        return base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise KeyRingError(f"key {kid!r} is not base64") from None


class KeyRing:
    def __init__(self, spec, setting="DATA_KEYS"):
        self.keys = {}
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            kid, sep, encoded = item.partition(":")
            if not sep or not kid or len(kid.encode()) > 32:
                raise KeyRingError(f"{setting} entries are kid:base64key")
            raw = decode_key(encoded, kid)
            if len(raw) != 32:
                raise KeyRingError(f"{setting}: key {kid!r} must be 32 bytes")
            self.keys[kid] = AESGCM(raw)
        if not self.keys:
            raise KeyRingError(f"{setting} is empty")
        self.current = next(iter(self.keys))

    def seal(self, plaintext: bytes, aad: bytes):
        """``(kid, nonce + ciphertext + tag)`` under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        return self.current, nonce + self.keys[self.current].encrypt(nonce, plaintext, aad)

    def open(self, kid, sealed: bytes, aad: bytes):
        """The plaintext; ``KeyRingError`` for an unknown key id, ``InvalidTag`` when it does not authenticate."""
        if kid not in self.keys:
            raise KeyRingError(f"no key {kid} configured")
        return self.keys[kid].decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


__all__ = ["InvalidTag", "KeyRing", "KeyRingError", "NONCE_BYTES"]
