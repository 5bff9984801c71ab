"""Other ministries: the published event contract, their integration clients (admin), the OAuth2 token
endpoint (client credentials) and the replay of antre.integration. The integration service keeps the clients,
their tokens and the events; the gateway serves the contract files."""

import base64
import binascii
import json
from urllib.parse import unquote

import yaml
from werkzeug.wrappers import Response

from antre_common.rpc import ServiceRpc
from gateway.errors import GatewayError
from gateway.http import ApiEndpoint, api
from gateway.integration_contract import IntegrationContract
from gateway.schemas import integration as s

FORM = "application/x-www-form-urlencoded"
SCHEMA = "application/schema+json"


def _file(body, content_type):
    return Response(body, status=200, headers={"Content-Type": content_type, "Cache-Control": "public, max-age=300"})


def client_credentials(request, form):
    """``(client_id, client_secret)`` from HTTP Basic (RFC 6749 2.3.1) or the form."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise GatewayError("INVALID_CLIENT") from None
        return unquote(client_id), unquote(secret)
    if not form["client_id"] or not form["client_secret"]:
        raise GatewayError("INVALID_CLIENT")
    return form["client_id"], form["client_secret"]


class IntegrationRoutes:
    integration = ServiceRpc("integration")
    contract = IntegrationContract()

    # -- the contract ------------------------------------------------------------------------------------

    @api("GET", "/api/v1/integration/asyncapi.yaml", media=("application/yaml",), tags=["integration"])
    def asyncapi_yaml(self, request):
        """The AsyncAPI 3 document of antre.integration: channels, routing keys, messages, guarantees."""
        return _file(yaml.safe_dump(self.contract.asyncapi(), sort_keys=False, allow_unicode=True), "application/yaml")

    @api("GET", "/api/v1/integration/asyncapi.json", media=("application/json",), tags=["integration"])
    def asyncapi_json(self, request):
        """The same AsyncAPI document as JSON."""
        return _file(json.dumps(self.contract.asyncapi(), ensure_ascii=False), "application/json")

    @api("GET", "/api/v1/integration/cloudevent.json", media=(SCHEMA,), tags=["integration"])
    def cloudevent_schema(self, request):
        """JSON Schema of the CloudEvent envelope every message has."""
        return _file(self.contract.schema_file("cloudevent.json"), "application/schema+json")

    @api("GET", "/api/v1/integration/schemas/<name>", media=(SCHEMA,), tags=["integration"])
    def event_schema(self, request, name):
        """JSON Schema of one event type's ``data``, e.g. ``id.go.imigrasi.antre.booking.created.v1.json``."""
        body = self.contract.schema_file(name)
        if body is None:
            raise GatewayError("NOT_FOUND")
        return _file(body, "application/schema+json")

    # -- integration clients (admin) --------------------------------------------------------------------------

    @api("POST", "/api/v1/admin/integration-clients", body=s.ClientRequest(), response=s.ClientWithSecret(),
         status=201, auth=("admin",), tags=["integration"])  # fmt: skip
    def create_integration_client(self, request, body, user):
        """Admin only: a ministry's client; its secret is in this answer only (keep it in their vault)."""
        return self.integration.create_client(body["name"], actor_id=user.user_id)

    @api("GET", "/api/v1/admin/integration-clients", response=s.IntegrationClient(many=True), auth=("admin",),
         tags=["integration"])  # fmt: skip
    def list_integration_clients(self, request, user):
        """Admin only: every client with its status; never a secret."""
        return self.integration.list_clients()

    @api("POST", "/api/v1/admin/integration-clients/<client_id>/rotate", response=s.ClientWithSecret(),
         auth=("admin",), tags=["integration"])  # fmt: skip
    def rotate_integration_client(self, request, client_id, user):
        """Admin only: a new secret, shown once; the old secret and its tokens stop at once."""
        return self.integration.rotate_client(client_id, actor_id=user.user_id)

    @api("POST", "/api/v1/admin/integration-clients/<client_id>/revoke", response=s.IntegrationClient(),
         auth=("admin",), tags=["integration"])  # fmt: skip
    def revoke_integration_client(self, request, client_id, user):
        """Admin only: the client gets no token any more and its tokens stop at once (idempotent)."""
        return self.integration.revoke_client(client_id, actor_id=user.user_id)

    # -- OAuth2 client credentials and the replay ------------------------------------------------------------

    @api("POST", "/api/v1/auth/token", form=s.TokenForm(), form_media=FORM, response=s.Token(), answers=(401,),
         tags=["integration"])  # fmt: skip
    def token(self, request):
        """OAuth2 client credentials (RFC 6749 4.4): a form with ``grant_type=client_credentials`` and the
        client's id and secret (or HTTP Basic) → an integration access token for the replay. 401
        INVALID_CLIENT (unknown client or wrong secret), 401 CLIENT_REVOKED, 400 UNSUPPORTED_GRANT_TYPE."""
        if request.mimetype != FORM:
            raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
        form = ApiEndpoint._load(s.TokenForm(), request.form.to_dict())
        if form["grant_type"] != "client_credentials":
            raise GatewayError("UNSUPPORTED_GRANT_TYPE")
        client_id, secret = client_credentials(request, form)
        answer = self.integration.issue_token(client_id, secret)
        return Response(json.dumps(answer), status=200, headers={"Content-Type": "application/json",
                                                                 "Cache-Control": "no-store"})  # fmt: skip

    @api("GET", "/api/v1/integration/events", query=s.EventsQuery(), response=s.EventsPage(), answers=(401, 410),
         tags=["integration"])  # fmt: skip
    def integration_events(self, request, query):
        """Integration client (Bearer token of /api/v1/auth/token): the CloudEvents of antre.integration, oldest
        first, ``{events, next}``; pass ``next`` as ``after`` to go on. 404 CURSOR_NOT_FOUND, 410
        CURSOR_EXPIRED (older than the retention: start again without ``after``), 400 for a bad limit, 401
        INVALID_TOKEN or CLIENT_REVOKED."""
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else None
        if not token:
            raise GatewayError("INVALID_TOKEN")
        return self.integration.read_events(token, after=query["after"], limit=query["limit"])
