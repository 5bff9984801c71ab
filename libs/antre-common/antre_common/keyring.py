"""An AES-256-GCM key ring from ``kid:base64key[,kid:base64key…]``: the first key encrypts, every key
decrypts, so a key rotates by putting a new one first. Keys are 32 bytes, standard or URL-safe base64.

Each user frames the ciphertext its own way (identity: a text column, documents: an object); the ring only
seals and opens with a key id and the associated data that binds a ciphertext to its place.
"""

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
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


def key_entries(spec, setting):
    """``(kid, 32 raw bytes)`` of each ``kid:base64key`` entry of a ring setting, first (the newest) first."""
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
        yield kid, raw


class KeyRing:
    def __init__(self, spec, setting="DATA_KEYS"):
        self.keys = {}
        self._raw = {}  # for the streaming forms below, which AESGCM does not offer
        for kid, raw in key_entries(spec, setting):
            self.keys[kid] = AESGCM(raw)
            self._raw[kid] = raw
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

    def sealer(self, aad: bytes):
        """``(kid, nonce, encryptor)`` for a plaintext too large to hold: feed ``encryptor.update``, then
        ``finalize()`` and ``.tag``. ``nonce + ciphertext + tag`` is exactly what ``seal`` makes, so ``open``
        (and ``opener``) read it."""
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.AES(self._raw[self.current]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return self.current, nonce, encryptor

    def keystream_at(self, kid, nonce: bytes, offset: int):
        """A CTR decryptor positioned at plaintext byte ``offset`` of a GCM ciphertext (96-bit nonce: block i
        uses counter ``nonce || i + 2``). It does not authenticate: only for reading back a ciphertext this
        process wrote itself, never one that came from elsewhere."""
        block, skip = divmod(offset, 16)
        counter = nonce + (block + 2).to_bytes(4, "big")
        decryptor = Cipher(algorithms.AES(self._raw[kid]), modes.CTR(counter)).decryptor()
        decryptor.update(bytes(skip))
        return decryptor

    def mac_key(self, kid, purpose: bytes):
        """A key for HMAC derived from key ``kid`` for one purpose (never the encryption key itself)."""
        if kid not in self._raw:
            raise KeyRingError(f"no key {kid} configured")
        return hmac.new(self._raw[kid], b"antre key for " + purpose, hashlib.sha256).digest()


__all__ = ["InvalidTag", "KeyRing", "KeyRingError", "NONCE_BYTES"]
