"""The event envelope of spec/EVENTS.md, the same for every event inside the suite."""

import uuid
from datetime import UTC, datetime

from marshmallow import RAISE, Schema, fields


class EnvelopeSchema(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    request_id = fields.String(allow_none=True, load_default=None)
    data = fields.Dict(required=True)


def utcnow():
    return datetime.now(UTC)


def make_envelope(event_type, data, request_id=None, *, event_id=None, occurred_at=None):
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "occurred_at": (occurred_at or utcnow()).isoformat(),
        "request_id": request_id,
        "data": data,
    }


def cloud_event(source, ce_type, data):
    """An event for other ministries (``antre.integration``): CloudEvents 1.0 JSON, spec/EVENTS.md."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": ce_type,
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
