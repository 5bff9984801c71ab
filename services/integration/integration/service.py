"""Integration service entrypoints: the replay store of antre.integration, the integration clients of other
ministries and their tokens, and the daily aggregates. Domain rules live beside this file, not here. The
client administration needs an admin's access token in the RPC context, verified here (docs/security.md)."""

import logging

from antre_common.auth import Caller
from antre_common.consumers import consume, event_handler
from antre_common.db import Database
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import REFERENCE_SECONDS, ServiceRpc, rpc
from antre_common.timer import every
from integration import schemas, stats
from integration.clients import Clients
from integration.dependencies import Runtime
from integration.exceptions import ValidationError
from integration.models import OutboxEvent, ProcessedEvent
from integration.replay import QUEUE, STORED, Replay
from integration.settings import Settings

log = logging.getLogger(__name__)


class IntegrationService(ServiceBase):
    name = "integration"

    db = Database(OutboxEvent, ProcessedEvent)
    runtime = Runtime()
    scheduling = ServiceRpc("scheduling", cached={"get_office": REFERENCE_SECONDS})
    caller = Caller()

    # -- the replay store ---------------------------------------------------------------------------------

    @consume(QUEUE, requeue_on_error=True)
    def on_integration_event(self, body):
        """Keep each CloudEvent once; one that is not a CloudEvent is logged and dropped (never requeued)."""
        errors = schemas.CloudEvent().validate(body) if isinstance(body, dict) else {"_": ["not an object"]}
        if errors:
            log.warning("not a CloudEvent on antre.integration; dropped", extra={"fields": sorted(errors)})
            STORED.labels("dropped").inc()
            return False
        return self._replay().store(body)

    @rpc
    def read_events(self, token=None, after=None, limit=None):
        """``{events, next}`` for the integration client of ``token``; cursor and limit as API.md says."""
        args = load(schemas.ReadArgs(), {"token": token, "after": after, "limit": limit})
        self._clients().authenticate(args["token"])
        settings = self.runtime.settings
        limit = args["limit"] or settings.page_default
        if limit > settings.page_max:
            raise ValidationError("limit too large", errors={"limit": [f"at most {settings.page_max}"]})
        return self._replay().read(args["after"], limit)

    @every(Settings, "purge_seconds")
    def purge(self):
        return {"events": self._replay().purge(), "tokens": self._clients().purge_tokens()}

    # -- integration clients (the gateway's admin routes and token endpoint) --------------------------------

    @rpc
    def create_client(self, name, actor_id=None):
        args = load(schemas.CreateClientArgs(), {"name": name, "actor_id": actor_id})
        self.caller.staff_member("admin", user_id=args["actor_id"])
        return self._clients().create(args["name"], _str(args["actor_id"]))

    @rpc
    def list_clients(self):
        self.caller.staff_member("admin")
        return self._clients().list()

    @rpc
    def rotate_client(self, client_id, actor_id=None):
        args = load(schemas.ClientArgs(), {"client_id": client_id, "actor_id": actor_id})
        self.caller.staff_member("admin", user_id=args["actor_id"])
        return self._clients().rotate(args["client_id"], _str(args["actor_id"]))

    @rpc
    def revoke_client(self, client_id, actor_id=None):
        args = load(schemas.ClientArgs(), {"client_id": client_id, "actor_id": actor_id})
        self.caller.staff_member("admin", user_id=args["actor_id"])
        return self._clients().revoke(args["client_id"], _str(args["actor_id"]))

    @rpc
    def issue_token(self, client_id, client_secret):
        args = load(schemas.TokenArgs(), {"client_id": client_id, "client_secret": client_secret})
        return self._clients().issue_token(args["client_id"], args["client_secret"])

    # -- daily aggregates -----------------------------------------------------------------------------------

    @event_handler("scheduling", "booking_no_show")
    def on_booking_no_show(self, envelope):
        stats.record_no_show(self.db, load(schemas.BookingNoShow(), envelope["data"])["booking_id"])

    @every(Settings, "stats_seconds")
    def publish_stats(self):
        return stats.DailyStats(self.db, self.runtime.settings, self._timezone).publish_due(utcnow())

    def _timezone(self, office_code):
        return self.scheduling.get_office(office_code)["timezone"]

    def _replay(self):
        return Replay(self.db, self.runtime.settings)

    def _clients(self):
        return Clients(self.db, self.runtime.settings)


def _str(value):
    return None if value is None else str(value)
