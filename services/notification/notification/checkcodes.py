"""Check codes: the code every message carries so that a citizen can ask Antre "did you send this?".

A code is 10 characters of Crockford base32 (0-9 and A-Z without I, L, O, U: 50 random bits), printed in two
groups of five (``7K3QD-M2XPA``) so it can be read aloud and typed on a phone. It is drawn from ``secrets``
when the delivery is queued, so it says nothing about the message or the person. The database keeps:

- ``check_hash``: HMAC-SHA256(``CHECK_CODE_KEY``, code), the only thing verification looks up (unique);
- ``check_sealed``: the code sealed with the ``MESSAGE_KEYS`` ring (AES-256-GCM, bound to the delivery id),
  opened only to print it in the message and to show it in its owner's inbox.

Someone who reads the database without the keys can neither verify a guess offline nor read a code.
"""

import base64
import hashlib
import hmac
import json

from antre_common.keyring import KeyRing, decode_key
from antre_common.reservation_code import ALPHABET, CodeFormat  # noqa: F401 - ALPHABET for callers

MAX_INPUT = 40  # longer than any typing of a code, spaces and dashes included: a 400 at the gateway
CHECK = CodeFormat(10, group=5)  # Crockford base32, as reservation codes are
LENGTH = CHECK.length
new_code = CHECK.new
normalise = CHECK.normalise
display = CHECK.display  # 7K3QD-M2XPA: as printed in messages and shown in the inbox


def _key(value):
    raw = decode_key(value, "CHECK_CODE_KEY") if value and value.strip() else b""
    if len(raw) < 32:
        raise ValueError("CHECK_CODE_KEY must be at least 32 bytes, base64")
    return raw


class CheckCodes:
    """The keyed hash and the sealing of codes (and of what the inbox shows), from the two secrets."""

    def __init__(self, hash_key, message_keys):
        self._hash_key = _key(hash_key)
        self._ring = KeyRing(message_keys, setting="MESSAGE_KEYS")

    def digest(self, text):
        """Keyed hash of a typed code. A text that cannot be a code still gets a hash (of itself), so a
        malformed, an unknown and a deleted code take the same path and the same time."""
        code = normalise(text) or f"invalid:{text}"
        return hmac.new(self._hash_key, code.encode(), hashlib.sha256).hexdigest()

    def address(self, client_ip):
        """The throttle key of an address: keyed, so the table holds no IP address."""
        return hmac.new(self._hash_key, f"address:{client_ip or '-'}".encode(), hashlib.sha256).hexdigest()

    def seal(self, value, delivery_id):
        kid, sealed = self._ring.seal(json.dumps(value).encode(), _aad(delivery_id))
        return f"{kid}:{base64.urlsafe_b64encode(sealed).decode()}"

    def open(self, text, delivery_id):
        kid, _, encoded = text.partition(":")
        return json.loads(self._ring.open(kid, base64.urlsafe_b64decode(encoded), _aad(delivery_id)))

    def issue(self, delivery_id):
        """A fresh code for a delivery: ``(check_hash, check_sealed)``."""
        code = new_code()
        return self.digest(code), self.seal(code, delivery_id)


def _aad(delivery_id):
    return f"delivery:{delivery_id}".encode()
