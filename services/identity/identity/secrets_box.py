"""Keys and what is done with them: personal data sealed with AES-GCM under a key id, keyed lookup hashes,
the person reference, and argon2id password hashes computed in a real OS thread.

Config (environment only, see docs/contracts.md): ``DATA_KEYS``, a key ring (``antre_common.keyring``: the
first key encrypts, all decrypt), ``LOOKUP_KEY`` (HMAC key; its UTF-8 bytes are the key).
"""

import base64
import hashlib
import hmac
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore

from antre_common.keyring import KeyRing, KeyRingError
from identity.settings import Settings

KeyConfigError = KeyRingError


class Sealer:
    """Authenticated encryption of one personal field (``kid:base64(nonce|ciphertext)``). ``aad`` binds a
    ciphertext to its row and column, so a value copied into another row or column does not decrypt."""

    def __init__(self, data_keys, lookup_key):
        self.ring = KeyRing(data_keys, "DATA_KEYS")
        self.current_kid = self.ring.current
        if not lookup_key:
            raise KeyConfigError("LOOKUP_KEY is empty")
        self.lookup_key = lookup_key.encode()

    def seal(self, plaintext, aad):
        if plaintext is None:
            return None
        kid, sealed = self.ring.seal(str(plaintext).encode(), aad.encode())
        return f"{kid}:{base64.b64encode(sealed).decode()}"

    def open(self, value, aad):
        if value is None:
            return None
        kid, _, encoded = value.partition(":")
        return self.ring.open(kid, base64.b64decode(encoded), aad.encode()).decode()

    def lookup(self, kind, value):
        """Keyed hash for uniqueness and lookup (``email``, ``nik``): equal inputs, equal hashes, no way back."""
        return hmac.new(self.lookup_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def person_ref(self, nik):
        """The pseudonymous person reference of docs/contracts.md."""
        return self.lookup("person", nik)[:32]

    def otp_hash(self, otp_id, code):
        return self.lookup("otp", f"{otp_id}:{code}")


def field_aad(user_id, field):
    """Associated data of a sealed field: its row and column."""
    return f"user:{user_id}:{field}"


def dependent_aad(person_id, field):
    """Associated data of a dependent's sealed field."""
    return f"dependent:{person_id}:{field}"


def token_hash(token):
    """Refresh tokens are 256 random bits, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


class Passwords:
    """argon2id; hashing and verifying run in eventlet's OS thread pool so the hub (and the AMQP heartbeat)
    keeps running while a CPU core does the work. At most ``max_concurrent`` hashes run at once (default:
    one per core): more threads than cores only thrash memory and stretch every login, while green threads
    waiting for a slot cost nothing."""

    def __init__(self, max_concurrent=None, **params):
        self.hasher = PasswordHasher(**{**Settings().argon2, **params})
        self._slots = Semaphore(max_concurrent or os.cpu_count() or 1)
        # Verified when an email is unknown, so a wrong email costs the same time as a wrong password.
        self._dummy = self.hasher.hash(base64.b64encode(os.urandom(16)).decode())

    def _in_thread(self, fn, *args):
        with self._slots:
            return tpool.execute(fn, *args)

    def hash(self, password):
        return self._in_thread(self.hasher.hash, password)

    def verify(self, hashed, password):
        """True if ``password`` matches; ``hashed`` None verifies against a dummy hash and returns False."""
        try:
            return self._in_thread(self.hasher.verify, hashed or self._dummy, password) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed):
        return self.hasher.check_needs_rehash(hashed)
