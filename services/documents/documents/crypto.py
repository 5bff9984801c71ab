"""Encryption at rest, done by the service before the bytes reach the store.

Why not server-side encryption: SeaweedFS (the development and test store) answers 500 to SSE-S3 without a
KMS, and the minio client refuses SSE-C over plain HTTP; MinIO in production needs its own KMS for SSE-S3.
Encrypting here works the same on every store, and the store never holds a key.

Keys: ``DOCUMENTS_KEYS`` = ``kid:base64key[,kid:base64key…]`` (32-byte AES-256-GCM keys, standard or
URL-safe base64); the first encrypts, all decrypt, so a key can be rotated without rewriting old objects.
An object is ``MAGIC | len(kid) | kid | nonce(12) | ciphertext+tag``; the object key is the associated
data, so a blob copied under another key does not decrypt.
"""

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ANTRDOC1"
NONCE_BYTES = 12


class CryptoError(ValueError):
    """A configuration problem with DOCUMENTS_KEYS, or a blob no configured key opens."""


def _b64(value):
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        raise CryptoError("a key is not base64") from None


class Keyring:
    def __init__(self, spec):
        self.keys = {}
        self.current = None
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            kid, sep, value = part.strip().partition(":")
            if not sep or not kid or len(kid.encode()) > 32:
                raise CryptoError("DOCUMENTS_KEYS entries are kid:base64key")
            key = _b64(value)
            if len(key) != 32:
                raise CryptoError(f"key {kid} is not 32 bytes")
            self.keys[kid] = AESGCM(key)
            self.current = self.current or kid
        if self.current is None:
            raise CryptoError("DOCUMENTS_KEYS is empty")

    def encrypt(self, plaintext, associated):
        kid = self.current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, plaintext, associated.encode())
        return self.current, b"".join((MAGIC, bytes([len(kid)]), kid, nonce, sealed))

    def decrypt(self, blob, associated):
        if not blob.startswith(MAGIC):
            raise CryptoError("not an encrypted document")
        n = blob[len(MAGIC)]
        start = len(MAGIC) + 1
        kid = blob[start : start + n].decode()
        nonce = blob[start + n : start + n + NONCE_BYTES]
        if kid not in self.keys:
            raise CryptoError(f"no key {kid} configured")
        try:
            return self.keys[kid].decrypt(nonce, blob[start + n + NONCE_BYTES :], associated.encode())
        except InvalidTag:
            raise CryptoError("the object does not authenticate") from None
