"""What crosses identity's boundary, validated on the way in (it has more callers than the gateway)."""

from marshmallow import fields, validate

from antre_common.schemas import Lenient, Strict, UtcDateTime
from identity.person import PASSWORD_MAX

LANGUAGES = ("id", "en")


class Registration(Strict):
    nik = fields.String(required=True, validate=validate.Length(max=32))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    email = fields.String(required=True, validate=validate.Length(max=254))
    phone = fields.String(required=True, validate=validate.Length(max=32))
    password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))


class Verification(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    otp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))


class Credentials(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))


class PasswordResetConfirm(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    otp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))
    new_password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))


class Nik(Strict):
    nik = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{16}$"))


class PersonChoice(Strict):
    user_id = fields.UUID(required=True)
    person_id = fields.UUID(required=True)


class PersonIds(Strict):
    person_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(max=500))


class StaffAccount(Strict):
    email = fields.String(required=True, validate=validate.Length(max=254))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))
    role = fields.String(required=True, validate=validate.OneOf(("officer", "supervisor", "admin")))
    office_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    language = fields.String(load_default="id", validate=validate.OneOf(LANGUAGES))


class AuditQuery(Strict):
    event = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    user_id = fields.UUID(load_default=None, allow_none=True)
    before = UtcDateTime(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class UserId(Strict):
    user_id = fields.UUID(required=True)


class ClientAddress(Strict):
    client_ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class IdempotencyKey(Strict):
    idempotency_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100))


class SecondFactorCode(Strict):
    challenge_token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"))


class Challenge(Strict):
    challenge_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class StaffAction(Strict):
    """An admin (``actor_id``) acting on a staff account (``user_id``)."""

    user_id = fields.UUID(required=True)
    actor_id = fields.UUID(required=True)


class DocumentViewed(Lenient):
    """documents' ``document_viewed``: what identity's audit entry keeps of it (ids only)."""

    document_id = fields.String(required=True, validate=validate.Length(max=64))
    doc_type = fields.String(required=True, validate=validate.Length(max=64))
    booking_id = fields.String(required=True, validate=validate.Length(max=64))
    reservation_code = fields.String(required=True, validate=validate.Length(max=32))
    viewer_id = fields.UUID(required=True)
    viewer_role = fields.String(required=True, validate=validate.Length(max=20))
    viewer_office = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
