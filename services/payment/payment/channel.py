"""The payment channel's signed messages: ``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.

The secrets are a ring (``kid:secret,kid:secret``); a signature made with any of them is accepted, so a key
is rotated by adding the new one, letting the channel switch, then removing the old one. The body carries
``timestamp`` (epoch seconds): it is signed with the rest, and a notification outside the window is refused
as a replay (the channel signs again when it retries). The development bank signs with ``sign``.
"""

import hashlib
import hmac
import json
import time

from payment.exceptions import PaymentSignatureInvalid, PaymentTimestampOutOfWindow, ValidationError

PREFIX = "sha256="


def parse_secrets(spec):
    """``"k1:abc,k2:def"`` → ``[b"abc", b"def"]``; an empty ring refuses everything."""
    ring = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, secret = item.partition(":")
        if not sep or not kid or len(secret) < 16:
            raise ValueError("PAYMENT_CHANNEL_SECRETS: kid:secret pairs, each secret at least 16 characters")
        ring.append(secret.encode())
    return ring


def sign(secret, body):
    return PREFIX + hmac.new(secret if isinstance(secret, bytes) else secret.encode(), body, hashlib.sha256).hexdigest()


def verify(ring, body, signature):
    """Raises ``PaymentSignatureInvalid`` unless ``signature`` is an HMAC of ``body`` with a key of the ring."""
    if not isinstance(signature, str) or not signature.startswith(PREFIX) or not isinstance(body, bytes):
        raise PaymentSignatureInvalid("missing or malformed X-Signature")
    valid = False
    for secret in ring:  # compare with every key, in constant time, without stopping at the first match
        valid |= hmac.compare_digest(sign(secret, body), signature)
    if not valid:
        raise PaymentSignatureInvalid("the signature matches no channel key")


def read(ring, body, signature, now, window_seconds):
    """The verified JSON document of a signed message, its timestamp inside the window."""
    verify(ring, body, signature)
    try:
        doc = json.loads(body)
    except ValueError:
        raise ValidationError("the body is not JSON", errors={"_schema": ["not JSON"]}) from None
    if not isinstance(doc, dict):
        raise ValidationError("the body is not a JSON object", errors={"_schema": ["not an object"]})
    stamp = doc.get("timestamp")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise ValidationError("timestamp missing", errors={"timestamp": ["epoch seconds, an integer"]})
    if abs(now.timestamp() - stamp) > window_seconds:
        raise PaymentTimestampOutOfWindow("signed outside the window", window_seconds=window_seconds)
    return doc


def now_stamp():
    return int(time.time())
