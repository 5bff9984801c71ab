"""Notification service entrypoints. Domain rules live beside this file, not here.

Every event handler queues its deliveries (once per event_id) and tries them at once; the timer retries
what failed, with backoff, until it is sent or given up.
"""

from types import SimpleNamespace

from antre_common.auth import Caller
from antre_common.consumers import event_handler
from antre_common.db import Database
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import REFERENCE_SECONDS, ServiceRpc, rpc
from antre_common.timer import every
from notification import schemas
from notification.dependencies import Channels
from notification.dispatch import Dispatcher
from notification.inbox import Inbox
from notification.intake import accept_event
from notification.models import OutboxEvent, ProcessedEvent
from notification.settings import Settings


class NotificationService(ServiceBase):
    name = "notification"

    db = Database(OutboxEvent, ProcessedEvent)
    identity = ServiceRpc("identity")
    scheduling = ServiceRpc("scheduling", cached={"get_office": REFERENCE_SECONDS, "get_service": REFERENCE_SECONDS})
    channels = Channels()
    caller = Caller()

    # -- messages a citizen can verify (the gateway's /api/v1/messages/verify and /api/v1/me/messages) -----

    @rpc
    def verify_message(self, code, client_ip=None):
        """``{genuine, type, channel, sent_at}``; MESSAGE_NOT_FOUND for any wrong code; RATE_LIMITED."""
        args = load(schemas.VerifyArgs(), {"code": code, "client_ip": client_ip})
        return self._inbox().verify(args["code"], args["client_ip"])

    @rpc
    def list_messages(self, user_id):
        """The messages sent to ``user_id``, newest first, with subject, summary and check code."""
        self.caller.person_is(user_id)  # the signed-in person's own inbox only (docs/security.md)
        return self._inbox().messages(str(load(schemas.UserArgs(), {"user_id": user_id})["user_id"]))

    @rpc
    def forget_user(self, user_id):
        """The account was deleted: its messages go too, and their codes stop verifying."""
        return self._inbox().forget(str(load(schemas.UserArgs(), {"user_id": user_id})["user_id"]))

    # -- identity ------------------------------------------------------------------------------------------

    @event_handler("identity", "otp_requested")
    def on_otp_requested(self, envelope):
        self._deliver(envelope)

    @event_handler("identity", "account_deleted")
    def on_account_deleted(self, envelope):
        self._deliver(envelope)

    @event_handler("identity", "user_registered")
    def on_user_registered(self, envelope):
        self._deliver(envelope)

    @event_handler("identity", "dependent_registered")
    def on_dependent_registered(self, envelope):
        self._deliver(envelope)

    # -- scheduling ----------------------------------------------------------------------------------------

    @event_handler("scheduling", "booking_created")
    def on_booking_created(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "booking_cancelled")
    def on_booking_cancelled(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "booking_rescheduled")
    def on_booking_rescheduled(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "reminder_due")
    def on_reminder_due(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "ticket_called")
    def on_ticket_called(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "booking_no_show")
    def on_booking_no_show(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "booking_expired")
    def on_booking_expired(self, envelope):
        self._deliver(envelope)

    # -- payment (fees) --------------------------------------------------------------------------------------

    @event_handler("payment", "payment_reminder_due")
    def on_payment_reminder_due(self, envelope):
        self._deliver(envelope)

    @event_handler("payment", "payment_received")
    def on_payment_received(self, envelope):
        self._deliver(envelope)

    @event_handler("payment", "payment_refunded")
    def on_payment_refunded(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "booking_disrupted")
    def on_booking_disrupted(self, envelope):
        self._deliver(envelope)

    @event_handler("scheduling", "waitlist_offer")
    def on_waitlist_offer(self, envelope):
        self._deliver(envelope)

    # -- documents -----------------------------------------------------------------------------------------

    @event_handler("documents", "document_reviewed")
    def on_document_reviewed(self, envelope):
        self._deliver(envelope)

    # -- retries -------------------------------------------------------------------------------------------

    @every(Settings, "delivery_poll_seconds")
    def deliver_due(self):
        """Retry what is due (and what a crashed worker left half done); export the backlog."""
        dispatcher = self._dispatcher()
        counts = dispatcher.run()
        dispatcher.observe_backlog()
        return counts

    @every(Settings, "housekeeping_seconds")
    def housekeeping(self):
        return self._dispatcher().purge()

    def _deliver(self, envelope):
        claimed = accept_event(self.db, envelope, self.channels.settings.lease_seconds, self.channels.codes.issue)
        if claimed:
            self._dispatcher().deliver(claimed)

    def _dispatcher(self):
        deps = SimpleNamespace(
            identity=self.identity,
            scheduling=self.scheduling,
            mailer=self.channels.mailer,
            sms=self.channels.sms,
            renderer=self.channels.renderer,
            codes=self.channels.codes,
            otp_keys=self.channels.otp_keys,
        )
        return Dispatcher(self.db, deps, self.channels.settings)

    def _inbox(self):
        return Inbox(self.db, self.channels.codes, self.channels.settings)
