"""Upload grants: how documents' internal upload endpoint knows the gateway checked the caller.

The gateway verifies the access token, then asks documents (``upload_grant`` RPC) for a grant: documents
checks the booking, the caller's right to upload and that the booking is open, exactly as for any upload,
and answers a token naming the booking, the caller and an expiry, signed with an HMAC key derived from
the files' key ring (every replica holds it; the gateway never needs it). The gateway then streams the
body to ``POST /internal/v1/bookings/<booking_id>/documents`` on documents' own port with the grant in
``X-Upload-Grant``. A grant is good for ``DOCUMENTS_UPLOAD_GRANT_SECONDS`` and one use: its id is written
when it is redeemed, so a replayed grant fails on the primary key.

Token: ``v1.<kid>.<payload>.<mac>``, payload and mac base64url, payload JSON ``{g, b, r, p, exp}``.
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

from documents.exceptions import UploadGrantInvalid
from documents.models import UploadGrant

PURPOSE = b"documents upload grants"


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Grants:
    """``ring``: the files' ``antre_common.keyring.KeyRing``."""

    def __init__(self, db, ring, seconds):
        self.db = db
        self.ring = ring
        self.seconds = seconds

    def _mac(self, kid, signed):
        return hmac.new(self.ring.mac_key(kid, PURPOSE), signed.encode(), hashlib.sha256).digest()

    def issue(self, principal, booking, now=None):
        now = time.time() if now is None else now
        payload = {
            "g": str(uuid.uuid4()),
            "b": booking.booking_id,
            "r": booking.reservation_code,
            "p": principal,
            "exp": int(now + self.seconds) + 1,
        }
        kid = self.ring.current
        signed = f"v1.{kid}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        return f"{signed}.{_b64(self._mac(kid, signed))}"

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

    def _verify(self, token):
        forged = UploadGrantInvalid("the upload grant is not valid", reason="forged")
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
        if not isinstance(payload, dict) or not {"g", "b", "r", "p", "exp"} <= payload.keys():
            raise forged
        return payload

    def purge(self, now):
        """Redeemed grants past their expiry can no longer be replayed: their rows go."""
        with self.db.transaction() as tx:
            return tx.execute(delete(UploadGrant).where(UploadGrant.expires_at < now)).rowcount
