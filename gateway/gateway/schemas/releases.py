"""Quota releases, their waiting rooms and the waitlist as clients see them (spec/API.md, issue 21)."""

from marshmallow import RAISE, Schema, fields, validate

CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$")
STATUSES = ["scheduled", "waiting_room", "open", "sold_out", "closed"]


class Strict(Schema):
    class Meta:
        unknown = RAISE


class NewRelease(Strict):
    date = fields.Date(required=True)
    opens_at = fields.AwareDateTime(required=True, metadata={"description": "in the future, before the day"})


class Release(Schema):
    release_id = fields.String(required=True)
    office_code = fields.String()
    date = fields.String(required=True)
    kind = fields.String(metadata={"enum": ["daily", "extra"]})
    opens_at = fields.String(required=True)
    waiting_room_opens_at = fields.String(required=True)
    seats = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": STATUSES})


class QueuePlace(Schema):
    release_id = fields.String()
    state = fields.String(required=True, metadata={"enum": ["waiting", "admitted", "closed"]})
    reason = fields.String(metadata={"enum": ["used", "expired", "sold_out"]})
    position = fields.Integer()
    ahead = fields.Integer()
    retry_after_seconds = fields.Integer()
    admission = fields.String()
    admitted_until = fields.String()
    opens_at = fields.String()


class WaitlistRequest(Strict):
    office_code = fields.String(required=True, validate=CODE)
    service_code = fields.String(required=True, validate=CODE)
    date = fields.Date(required=True)
    person_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class Offer(Schema):
    slot_id = fields.String()
    start = fields.String()
    expires_at = fields.String()


class WaitlistEntry(Schema):
    waitlist_id = fields.String(required=True)
    office_code = fields.String(required=True)
    service_code = fields.String(required=True)
    date = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["waiting", "offered", "booked", "expired", "cancelled"]})
    position = fields.Integer(allow_none=True)
    offer = fields.Nested(Offer)
    booking_id = fields.String()
