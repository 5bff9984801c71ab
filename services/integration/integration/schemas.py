"""What crosses integration's boundary, validated on the way in."""

from marshmallow import fields, validate

from antre_common.schemas import Lenient, Strict

CLIENT_NAME = validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", error="lowercase letters, digits and -, 2-63")
CURSOR = validate.Regexp(r"^[0-9]{1,19}-[0-9]{1,19}$", error="a cursor from a previous answer's next")


class CloudEvent(Lenient):
    """What the replay needs of a message on antre.integration (the contract has the rest)."""

    specversion = fields.String(required=True, validate=validate.Equal("1.0"))
    id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.Regexp(r"^id\.go\.imigrasi\.antre\.[a-z0-9_.]+$"))
    source = fields.String(required=True)
    time = fields.String(required=True)
    data = fields.Dict(required=True)


class BookingNoShow(Lenient):
    """scheduling's internal booking_no_show: only the booking and office are kept (never the user)."""

    booking_id = fields.UUID(required=True)
    office_code = fields.String(load_default=None)


class CreateClientArgs(Strict):
    name = fields.String(required=True, validate=CLIENT_NAME)
    actor_id = fields.UUID(load_default=None, allow_none=True)


class ClientArgs(Strict):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    actor_id = fields.UUID(load_default=None, allow_none=True)


class TokenArgs(Strict):
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ReadArgs(Strict):
    token = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4096))
    after = fields.String(load_default=None, allow_none=True, validate=CURSOR)
    limit = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
