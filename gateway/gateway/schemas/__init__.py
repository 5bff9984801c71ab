"""Schemas of the gateway's own answers (status, problems). Each part of the API keeps what clients send
and get in ``gateway/schemas/<part>.py``, beside its routes in ``gateway/routes/<part>.py``."""

from marshmallow import Schema, fields


class ServiceStatus(Schema):
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["up", "down"]})
    rtt_ms = fields.Float(allow_none=True)
    failed = fields.List(
        fields.String(),
        metadata={"description": "what the service cannot reach (database, storage, broker), or 'service' itself"},
    )


class StatusResponse(Schema):
    services = fields.List(fields.Nested(ServiceStatus), required=True)
    disruptions = fields.List(
        fields.Dict(),
        metadata={
            "description": "declared office disruptions under way or to come: {disruption_id, "
            "office_code, from, to, reason}"
        },  # fmt: skip
    )


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer(required=True)
    code = fields.String(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    request_id = fields.String()
