"""Encryption at rest, done by the service before the bytes reach the store.

Why not server-side encryption: SeaweedFS (the development and test store) answers 500 to SSE-S3 without a
KMS, and the minio client refuses SSE-C over plain HTTP; MinIO in production needs its own KMS for SSE-S3.
Encrypting here works the same on every store, and the store never holds a key.

Keys: ``DOCUMENTS_KEYS``, a key ring (``antre_common.keyring``): the first encrypts, all decrypt, so a key
can be rotated without rewriting old objects.
An object is ``MAGIC | len(kid) | kid | nonce(12) | ciphertext+tag``; the object key is the associated
data, so a blob copied under another key does not decrypt.
"""

from antre_common.keyring import InvalidTag, KeyRing, KeyRingError

MAGIC = b"ANTRDOC1"
CryptoError = KeyRingError  # a configuration problem with DOCUMENTS_KEYS, or a blob no configured key opens


def frame(kid):
    """What comes before the nonce in an object: the magic and the key id."""
    return b"".join((MAGIC, bytes([len(kid.encode())]), kid.encode()))


class Keyring:
    """The files' key ring (``antre_common.keyring``) and the object's frame around its ciphertext."""

    def __init__(self, spec):
        self.ring = KeyRing(spec, "DOCUMENTS_KEYS")
        self.current = self.ring.current

    def encrypt(self, plaintext, associated):
        kid, sealed = self.ring.seal(plaintext, associated.encode())
        return kid, frame(kid) + sealed

    def sealer(self, associated):
        """For a file that arrives in pieces: ``(kid, header, nonce, encryptor)``. The object is
        ``header + nonce + encryptor.update(…)… + finalize() + tag``, the same bytes ``encrypt`` makes."""
        kid, nonce, encryptor = self.ring.sealer(associated.encode())
        return kid, frame(kid), nonce, encryptor

    def keystream_at(self, kid, nonce, offset):
        """Reads back (unauthenticated) a ciphertext this process is writing: see ``KeyRing.keystream_at``."""
        return self.ring.keystream_at(kid, nonce, offset)

    def decrypt(self, blob, associated):
        if not blob.startswith(MAGIC):
            raise CryptoError("not an encrypted document")
        n = blob[len(MAGIC)]
        start = len(MAGIC) + 1
        kid = blob[start : start + n].decode()
        try:
            return self.ring.open(kid, blob[start + n :], associated.encode())
        except InvalidTag:
            raise CryptoError("the object does not authenticate") from None
