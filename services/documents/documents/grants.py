"""Grants: how documents' internal HTTP endpoints know the gateway checked the caller.

The gateway verifies the access token, then asks documents (``upload_grant`` RPC) for a grant: documents
checks the booking, the caller's right to upload and that the booking is open, exactly as for any upload,
and answers a token naming the booking, the caller and an expiry, signed with an HMAC key derived from
the files' key ring (every replica holds it; the gateway never needs it). The gateway then streams the
body to ``POST /internal/v1/bookings/<booking_id>/documents`` on documents' own port with the grant in
``X-Upload-Grant``. A grant is good for ``DOCUMENTS_UPLOAD_GRANT_SECONDS`` and one use: its id is written
when it is redeemed, so a replayed grant fails on the primary key.

Downloads the same way (``DownloadGrants``): the ``download_grant`` RPC checks the reader and records the
view, and the gateway fetches ``GET /internal/v1/documents/<document_id>/content`` with ``X-Download-Grant``.
A download grant names one document and is good for ``DOWNLOAD_SECONDS``; it is not written anywhere (a
download changes nothing and its audit entry was committed when the grant was issued), so it may be used
again within those seconds, by the gateway that holds it, for the same file.

Token: ``v1.<kid>.<payload>.<mac>``, payload and mac base64url, payload JSON ``{g, b, r, p, exp}`` (uploads)
or ``{g, d, p, exp}`` (downloads); each kind has its own MAC key, so one is never taken for the other.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from documents.exceptions import DownloadGrantInvalid, UploadGrantInvalid
from documents.models import UploadGrant

DOWNLOAD_SECONDS = 30  # the gateway redeems it at once; this only bounds a slow start of the transfer


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedGrants:
    """What both kinds share: signing and verifying. ``ring``: the files' ``antre_common.keyring.KeyRing``."""

    PURPOSE = FIELDS = Invalid = None  # each kind's

    def __init__(self, ring, seconds):
        self.ring = ring
        self.seconds = seconds

    def _mac(self, kid, signed):
        return hmac.new(self.ring.mac_key(kid, self.PURPOSE), signed.encode(), hashlib.sha256).digest()

    def _sign(self, payload, now):
        payload = {"g": str(uuid.uuid4()), **payload, "exp": int(now + self.seconds) + 1}
        kid = self.ring.current
        signed = f"v1.{kid}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        return f"{signed}.{_b64(self._mac(kid, signed))}"

    def _verify(self, token):
        forged = self.Invalid("the grant is not valid", reason="forged")
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "v1" or parts[1] not in self.ring.keys:
            raise forged
        try:
            mac = _unb64(parts[3])
            payload = json.loads(_unb64(parts[2]))
        except ValueError:
            raise forged from None
        if not hmac.compare_digest(mac, self._mac(parts[1], ".".join(parts[:3]))):
            raise forged
        if not isinstance(payload, dict) or not self.FIELDS <= payload.keys():
            raise forged
        return payload


class Grants(SignedGrants):
    """Upload grants: one booking, single use (each id is written when redeemed)."""

    PURPOSE = b"documents upload grants"
    FIELDS = frozenset({"g", "b", "r", "p", "exp"})
    Invalid = UploadGrantInvalid

    def __init__(self, db, ring, seconds):
        super().__init__(ring, seconds)
        self.db = db

    def issue(self, principal, booking, now=None):
        now = time.time() if now is None else now
        return self._sign({"b": booking.booking_id, "r": booking.reservation_code, "p": principal}, now)

    def redeem(self, token, booking_id, now=None):
        """The grant's payload (``r`` reservation code, ``p`` principal), once; otherwise
        ``UploadGrantInvalid`` with the reason (forged, expired, other_booking, used)."""
        now = time.time() if now is None else now
        payload = self._verify(token or "")
        if payload["exp"] < now:
            raise UploadGrantInvalid("the upload grant has expired", reason="expired")
        if payload["b"] != booking_id:
            raise UploadGrantInvalid("the upload grant is for another booking", reason="other_booking")
        try:
            with self.db.transaction() as tx:
                tx.add(UploadGrant(grant_id=payload["g"], expires_at=datetime.fromtimestamp(payload["exp"], UTC)))
        except IntegrityError:
            raise UploadGrantInvalid("the upload grant was used already", reason="used") from None
        return payload

    def purge(self, now):
        """Redeemed grants past their expiry can no longer be replayed: their rows go."""
        with self.db.transaction() as tx:
            return tx.execute(delete(UploadGrant).where(UploadGrant.expires_at < now)).rowcount


class DownloadGrants(SignedGrants):
    """Download grants: one document, a few seconds, nothing written (see the module's text)."""

    PURPOSE = b"documents download grants"
    FIELDS = frozenset({"g", "d", "p", "exp"})
    Invalid = DownloadGrantInvalid

    def __init__(self, ring, seconds=DOWNLOAD_SECONDS):
        super().__init__(ring, seconds)

    def issue(self, principal, document_id, now=None):
        return self._sign({"d": document_id, "p": principal}, time.time() if now is None else now)

    def redeem(self, token, document_id, now=None):
        """The grant's principal; otherwise ``DownloadGrantInvalid`` (forged, expired, other_document)."""
        payload = self._verify(token or "")
        if payload["exp"] < (time.time() if now is None else now):
            raise DownloadGrantInvalid("the download grant has expired", reason="expired")
        if payload["d"] != document_id:
            raise DownloadGrantInvalid("the download grant is for another document", reason="other_document")
        return payload["p"]
