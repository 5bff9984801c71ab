"""What clients send to and get from the message routes (spec/API.md, "Messages a citizen can verify")."""

from marshmallow import Schema, fields, validate

from antre_common.schemas import Strict

# Longer than any typing of a ten-character code with spaces and dashes; notification says the same.
CODE_MAX = 40


class VerifyQuery(Strict):
    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=CODE_MAX),
        metadata={
            "description": "the check code printed in the message, e.g. 7K3QD-M2XPA (case, spaces, dashes ignored)"
        },
    )


class Verified(Schema):
    genuine = fields.Boolean(required=True)
    type = fields.String(required=True, metadata={"description": "otp, welcome, booking_confirmed, …"})
    channel = fields.String(required=True, metadata={"description": "email or sms"})
    sent_at = fields.String(required=True)


class Message(Schema):
    message_id = fields.UUID(required=True)
    type = fields.String(required=True)
    channel = fields.String(required=True)
    sent_at = fields.String(required=True)
    subject = fields.String(allow_none=True)
    summary = fields.String(allow_none=True, metadata={"description": "never a one-time code or a full body"})
    check_code = fields.String(allow_none=True)
