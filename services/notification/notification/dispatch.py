"""One attempt at one delivery, and the loop that works through what is due.

Contact data is fetched from identity at send time (never stored, never from events); offices and services
from scheduling. Every outcome lands in the delivery log: sent, skipped, failed, or pending again with a
backoff. Log lines name the delivery, its type, channel and attempt, never an address, a code or a body.
"""

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from nameko.exceptions import RemoteError
from prometheus_client import Counter, Gauge

from antre_common import qr
from antre_common.envelope import utcnow
from antre_common.errors import ServiceUnavailable, is_not_found
from antre_common.keyring import InvalidTag, KeyRingError
from antre_common.metrics import metric
from antre_common.sealed_box import one_time_code_aad
from notification import store
from notification.channels import DeliveryFailure, PermanentFailure, TemporaryFailure, Unreachable
from notification.checkcodes import display
from notification.messages import EMAIL, SMS, backoff, choose
from notification.templates import Rendered, build_context, language_of

log = logging.getLogger(__name__)

DELIVERIES = metric(
    Counter,
    "antre_notification_deliveries_total",
    "Deliveries that reached an outcome, by message type, channel and status (sent, skipped, failed, retry).",
    ("message_type", "channel", "status"),
)

PENDING = metric(Gauge, "antre_notification_pending_deliveries", "Deliveries not sent, skipped or failed yet.")
OLDEST_PENDING = metric(
    Gauge, "antre_notification_oldest_pending_seconds", "Age of the oldest delivery not final yet (0: none)."
)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped | failed | retry
    error: str | None = None
    provider_id: str | None = None
    user_id: str | None = None  # who got it (a message about a booking learns its holder only at send time)
    inbox: dict | None = None  # {subject, summary} for the inbox


def _remote(call, *args, optional=False):
    """An RPC whose failures become delivery failures: a missing record is final, anything else retried."""
    try:
        return call(*args)
    except ServiceUnavailable as exc:
        raise Unreachable(f"{exc.params.get('service', 'service')} unavailable") from None
    except RemoteError as exc:
        if is_not_found(exc):  # NOT_FOUND and its kin (OFFICE_NOT_FOUND, ...)
            if optional:
                return None
            raise PermanentFailure("not found") from None
        raise TemporaryFailure(f"remote {exc.exc_type}") from None


class Dispatcher:
    """``deps`` gives ``identity`` and ``scheduling`` (RPC proxies), ``mailer``, ``sms``, ``renderer``, ``codes``
    (checkcodes.CheckCodes)."""

    def __init__(self, db, deps, settings):
        self.db, self.deps, self.settings = db, deps, settings
        self._answers = {}  # one pass: an event's email and SMS share their lookups
        # One pass meets an outage once: later rows fail at once instead of each waiting for its timeout.
        self._down = {}

    def _guard(self, name, call, *args, **kwargs):
        if name in self._down:
            raise self._down[name]
        try:
            return call(*args, **kwargs)
        except Unreachable as exc:
            self._down[name] = exc
            raise

    def _lookup(self, method, key, optional=False):
        if (method, key) not in self._answers:
            service, name = method.split(".")
            call = getattr(getattr(self.deps, service), name)
            self._answers[method, key] = self._guard(service, _remote, call, key, optional=optional)
        return self._answers[method, key]

    def run(self, ids=None):
        """Attempt every due delivery (or only ``ids``); returns {status: count}."""
        counts = {}
        while True:
            now = utcnow()
            with self.db.transaction() as session:
                claimed = store.claim(session, now, self.settings.lease_seconds, self.settings.batch, ids)
            for status, count in self.deliver(claimed).items():
                counts[status] = counts.get(status, 0) + count
            if ids is not None or len(claimed) < self.settings.batch:
                return counts

    def deliver(self, claimed):
        """Attempt deliveries this worker has claimed (``store.claim``, or ``store.accept`` for a new event's),
        recording each outcome as soon as it is known; returns {status: count}."""
        counts = {}
        for item in claimed:
            outcome = self.attempt(item)
            self.record(item, outcome)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def observe_backlog(self):
        with self.db.transaction() as session:
            count, age = store.backlog(session, utcnow())
        PENDING.set(count)
        OLDEST_PENDING.set(age)
        return count

    def purge(self):
        """The delivery log is kept ``retention_days`` (support questions: "did my code go out?"), no longer."""
        now = utcnow()
        with self.db.transaction() as session:
            deleted = store.purge(session, now - timedelta(days=self.settings.retention_days))
            store.purge_throttle(session, now - timedelta(seconds=self.settings.verify_window_seconds))
        if deleted:
            log.info("delivery log purged", extra={"deleted": deleted})
        return deleted

    def attempt(self, item):
        try:
            return self._attempt(item)
        except DeliveryFailure as exc:
            return Outcome("retry" if exc.retry else "failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the message; retried, then failed
            # Frames without the exception's text: a message built from data could hold personal data.
            log.error(
                "delivery attempt crashed",
                extra={
                    "delivery_id": item["id"],
                    "error": type(exc).__name__,
                    "trace": traceback.format_tb(exc.__traceback__),
                },
            )
            return Outcome("retry", f"internal {type(exc).__name__}")

    def _attempt(self, item):
        data, now = item["data"], utcnow()
        if item["message_type"] == "otp" and data.get("expires_at"):
            if datetime.fromisoformat(str(data["expires_at"])) <= now:
                return Outcome("failed", "otp expired before it could be sent")
        if item["message_type"] == "otp":
            data = self._open_code(data)
            if data is None:
                return Outcome("failed", "otp box does not open")
        if "booking" in item:  # read when the event was accepted, just now
            booking = item["booking"]
        else:
            booking = store.booking(self.db.session, item["booking_id"]) if item["booking_id"] else None
        if item["message_type"] == "reminder" and (booking or {}).get("status") in ("cancelled", "no_show"):
            return Outcome("skipped", "booking no longer active")
        if item["message_type"] == "payment_reminder" and (booking or {}).get("status") != "awaiting_payment":
            return Outcome("skipped", "paid, expired or cancelled already")
        user_id = item["user_id"] or (booking or {}).get("user_id")
        if not user_id:
            raise TemporaryFailure("booking not known yet")  # its booking_created may still be on its way
        contact = self._lookup("identity.get_contact", user_id)
        why_not = choose(item["message_type"], item["channel"], contact)
        if why_not:
            return Outcome("skipped", why_not)
        office_code = data.get("office_code") or (booking or {}).get("office_code")
        service_code = data.get("service_code") or (booking or {}).get("service_code")
        office = self._lookup("scheduling.get_office", office_code, optional=True) if office_code else None
        service = self._lookup("scheduling.get_service", service_code, optional=True) if service_code else None
        check_code = self._check_code(item)
        context = build_context(
            item["message_type"],
            data,
            contact,
            booking=booking,
            office=office,
            service=service,
            now=now,
            check_code=display(check_code),
            check_url=self.settings.check_url,
        )
        qr = self._qr(item, context)
        context["qr_attached"] = qr is not None
        language = language_of(contact)
        rendered = self.deps.renderer.render(item["message_type"], item["channel"], language, context)
        if qr:
            rendered = Rendered(rendered.subject, rendered.body, rendered.inbox, (qr,))
        headers = {
            "X-Antre-Message-Type": item["message_type"],
            "X-Antre-Delivery-Id": item["id"],
            "X-Antre-Event-Id": item["event_id"],
        }
        if item["channel"] == SMS:
            provider_id = self._guard(SMS, self.deps.sms.send, contact["phone"], rendered.body, headers=headers)
        else:
            send = self.deps.mailer.send
            provider_id = self._guard(EMAIL, send, contact["email"], rendered, language=language, headers=headers)
        return Outcome("sent", provider_id=provider_id, user_id=str(user_id), inbox=rendered.inbox)

    def _open_code(self, data):
        """The event's data with the one-time code opened, in memory only (the row keeps the sealed box); None
        if no key of ours opens it (another recipient's key, or tampered): retrying would not help."""
        aad = one_time_code_aad(data["user_id"], data["channel"], data.get("purpose"))
        try:
            return dict(data, otp=self.deps.otp_keys.open(data["otp_sealed"], aad))
        except (InvalidTag, KeyRingError, ValueError):
            log.warning("one-time code does not open", extra={"user_id": data.get("user_id")})
            return None

    def _check_code(self, item):
        """The delivery's code; one queued before check codes existed gets its own now, stored before it is
        printed (a message must never carry a code that does not verify)."""
        if not item.get("check_sealed"):
            check_hash, item["check_sealed"] = self.deps.codes.issue(item["id"])
            with self.db.transaction() as session:
                store.set_code(session, item["id"], check_hash, item["check_sealed"])
        return self.deps.codes.open(item["check_sealed"], item["id"])

    def _qr(self, item, context):
        """The confirmation mail carries the reservation code's QR as an attachment, so the citizen has it
        without the app: ``(filename, content type, bytes, content id)``, or None (no code). Drawn here from
        the code the event carries, as scheduling draws it (``antre_common.qr``): no RPC per mail."""
        code = context.get("reservation_code")
        if item["message_type"] != "booking_confirmed" or item["channel"] != EMAIL or not code:
            return None
        content_type, image = qr.render(code, "png")
        return (f"antre-{code}.png", content_type, image, "qr")

    def record(self, item, outcome):
        now = utcnow()
        status, next_at, error = outcome.status, None, outcome.error
        if status == "retry":
            if item["attempts"] >= self.settings.max_attempts:
                status, error = "failed", f"gave up after {item['attempts']} attempts: {error}"
            else:
                next_at = now + backoff(
                    item["attempts"], self.settings.retry_base_seconds, self.settings.retry_max_seconds
                )
        with self.db.transaction() as session:
            store.finish(
                session,
                item["id"],
                now,
                status="pending" if status == "retry" else status,
                error=error[:200] if error else None,
                provider_id=outcome.provider_id,
                next_attempt_at=next_at,
                user_id=outcome.user_id,
                inbox=self.deps.codes.seal(outcome.inbox, item["id"]) if outcome.inbox else None,
            )
        DELIVERIES.labels(item["message_type"], item["channel"], status).inc()
        fields = {
            "delivery_id": item["id"],
            "event_id": item["event_id"],
            "message_type": item["message_type"],
            "channel": item["channel"],
            "attempt": item["attempts"],
            "status": status,
        }
        if status == "retry":
            log.warning(
                "delivery failed, will retry", extra={**fields, "error": error, "next_attempt_at": next_at.isoformat()}
            )
        elif status == "failed":
            log.error("delivery failed for good", extra={**fields, "error": error})
        else:
            log.info(f"delivery {status}", extra={**fields, "reason": error} if error else fields)
