"""What a citizen can ask about the messages Antre sent: "is this code genuine?" and "what did you send me?".

Verification answers the message's type, channel and time and nothing personal. Every wrong code, whatever
the reason (never issued, mistyped, malformed, its message deleted with the account or by retention), gets
the same ``MessageNotFound`` after the same work: one throttle upsert and one indexed lookup of a keyed hash.
"""

import logging
import math
from datetime import timedelta

from antre_common.envelope import utcnow
from antre_common.keyring import InvalidTag, KeyRingError
from notification import store
from notification.checkcodes import display
from notification.exceptions import MessageNotFound, RateLimited

log = logging.getLogger(__name__)

INBOX_LIMIT = 200  # newest first; more than a year of bookings for one person and their dependents


class Inbox:
    def __init__(self, db, codes, settings):
        self.db, self.codes, self.settings = db, codes, settings

    def verify(self, code, client_ip):
        """``{genuine: True, type, channel, sent_at}``; ``MessageNotFound`` or ``RateLimited`` otherwise."""
        now = utcnow()
        window = timedelta(seconds=self.settings.verify_window_seconds)
        check_hash = self.codes.digest(code)
        with self.db.transaction() as session:
            count, started = store.count_attempt(session, self.codes.address(client_ip), now, window)
            if count > self.settings.verify_limit:
                retry_after = max(1, math.ceil((started + window - now).total_seconds()))
                raise RateLimited("too many verifications from this address", retry_after=retry_after)
            found = store.sent_with_code(session, check_hash)
        if found is None:
            raise MessageNotFound("no such message", genuine=False)
        return {
            "genuine": True,
            "type": found["message_type"],
            "channel": found["channel"],
            "sent_at": found["sent_at"].isoformat(),
        }

    def _open(self, sealed, delivery_id):
        """One row sealed with a key no longer in the ring must not hide the whole inbox: it shows empty."""
        if not sealed:
            return None
        try:
            return self.codes.open(sealed, delivery_id)
        except (KeyRingError, InvalidTag):
            log.warning("inbox row cannot be opened (key retired?)", extra={"delivery_id": delivery_id})
            return None

    def messages(self, user_id):
        """Every message sent to ``user_id`` (and about their dependents' bookings), newest first, with its
        subject, summary and check code: never an OTP, never a body."""
        with self.db.transaction() as session:
            rows = store.sent_to(session, user_id, INBOX_LIMIT)
        out = []
        for row in rows:
            line = self._open(row["inbox_sealed"], row["id"]) or {}
            code = self._open(row["check_sealed"], row["id"])
            out.append(
                {
                    "message_id": row["id"],
                    "type": row["message_type"],
                    "channel": row["channel"],
                    "sent_at": row["sent_at"].isoformat(),
                    "subject": line.get("subject"),
                    "summary": line.get("summary"),
                    "check_code": display(code) if code else None,
                }
            )
        return out

    def forget(self, user_id):
        """The account is gone: so are its messages and their codes (they verify no more). Returns how many."""
        with self.db.transaction() as session:
            return store.forget_user(session, user_id)
