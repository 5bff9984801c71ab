"""What clients send to and get from the routes for other ministries (spec/API.md, "Other ministries")."""

from marshmallow import Schema, fields, validate

from antre_common.schemas import Strict


class ClientRequest(Strict):
    name = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", error="lowercase letters, digits and -, 2-63"),
        metadata={"description": "the ministry, e.g. kemenkes or bps"},
    )


class IntegrationClient(Schema):
    client_id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["active", "revoked"]})
    created_at = fields.String(required=True)
    rotated_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)


class ClientWithSecret(IntegrationClient):
    client_secret = fields.String(required=True, metadata={"description": "shown once: only its hash is kept"})


class TokenForm(Strict):
    """``application/x-www-form-urlencoded``; the client may authenticate with HTTP Basic instead."""

    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials"]})
    client_id = fields.String(load_default=None, validate=validate.Length(max=64))
    client_secret = fields.String(load_default=None, validate=validate.Length(max=200))
    scope = fields.String(load_default=None, validate=validate.Length(max=200))


class Token(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True)


class EventsQuery(Strict):
    after = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[0-9]{1,19}-[0-9]{1,19}$", error="the next of a previous answer"),
        metadata={"description": "the `next` of the previous page; without it, from the oldest event kept"},
    )
    limit = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        # The document promises the default INTEGRATION_PAGE_MAX: a deployment may allow more, never less.
        metadata={"description": "events per page: 1 to INTEGRATION_PAGE_MAX (1000), default 100", "maximum": 1000},
    )


class EventsPage(Schema):
    events = fields.List(fields.Dict(), required=True, metadata={"description": "CloudEvents, oldest first"})
    next = fields.String(
        allow_none=True, required=True, metadata={"description": "pass as `after` next time (null: none yet)"}
    )
