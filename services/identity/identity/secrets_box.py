"""Keys and what is done with them: personal data sealed with AES-GCM under a key id, keyed lookup hashes,
the person reference, and argon2id password hashes computed in a real OS thread.

Config (environment only, see docs/contracts.md): ``DATA_KEYS``, a key ring (``antre_common.keyring``: the
first key encrypts, all decrypt), ``LOOKUP_KEY``: HMAC keys of the lookup hashes, ``kid:secret[,kid:secret…]``
(a secret's UTF-8 bytes are the key; a bare secret without ``kid:`` is the one key of an older release).
The first key makes new hashes; lookups try every key; housekeeping re-hashes rows to the first key, so a
key rotates without downtime (docs/runbook.md). ``PERSON_REF_KEY`` keys the person reference, which never
changes (other services keep it); unset, the one lookup key does (several keys need it set).
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

    def __init__(self, data_keys, lookup_key, person_ref_key=None):
        self.ring = KeyRing(data_keys, "DATA_KEYS")
        self.current_kid = self.ring.current
        self.lookup_keys = lookup_ring(lookup_key)
        self.lookup_kid = next(iter(self.lookup_keys))  # the newest: every new hash
        if not person_ref_key and len(self.lookup_keys) > 1:  # which key made the references is not guessable
            raise KeyConfigError("LOOKUP_KEY has several keys: set PERSON_REF_KEY (docs/runbook.md)")
        self.person_key = person_ref_key.encode() if person_ref_key else next(iter(self.lookup_keys.values()))

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

    def lookup(self, kind, value, kid=None):
        """Keyed hash for uniqueness and lookup (``email``, ``nik``): equal inputs, equal hashes, no way back.
        Under the newest key unless ``kid`` names another."""
        key = self.lookup_keys[kid or self.lookup_kid]
        return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def lookups(self, kind, value):
        """The hashes of ``value`` under every configured key, newest first: what a lookup must match while
        rows still carry an older key's hash."""
        return [self.lookup(kind, value, kid) for kid in self.lookup_keys]

    def person_ref(self, nik):
        """The pseudonymous person reference of docs/contracts.md: under its own key, never rotated."""
        return hmac.new(self.person_key, f"person:{nik}".encode(), hashlib.sha256).hexdigest()[:32]

    def otp_hash(self, otp_id, code):
        return self.lookup("otp", f"{otp_id}:{code}")

    def otp_matches(self, stored, otp_id, code):
        """A code made under any configured key (one sent just before a rotation still works)."""
        return any(hmac.compare_digest(stored or "", h) for h in self.lookups("otp", f"{otp_id}:{code}"))


def lookup_ring(spec):
    """``{kid: key bytes}`` from ``LOOKUP_KEY``, newest first; a bare secret is one key with the id ``""``."""
    if not spec or not spec.strip():
        raise KeyConfigError("LOOKUP_KEY is empty")
    if ":" not in spec:
        return {"": spec.encode()}
    ring = {}
    for item in spec.split(","):
        kid, sep, secret = item.strip().partition(":")
        if not sep or not kid or len(kid) > 32 or len(secret.strip()) < 16 or kid in ring:
            raise KeyConfigError("LOOKUP_KEY entries are kid:secret (16+ characters), each kid once")
        ring[kid] = secret.strip().encode()
    return ring


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
