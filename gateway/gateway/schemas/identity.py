"""What clients send to and get from the identity routes (spec/API.md, "Identity").

Shapes are checked here before any RPC; identity checks the rules that need its data or keys (the NIK
against the birth date, common passwords, uniqueness)."""

from marshmallow import Schema, fields, validate

from antre_common.schemas import Strict

LANGUAGES = ("id", "en")
STAFF_ROLES = ("officer", "supervisor", "admin")
password = validate.Length(min=12, max=128)


class RegisterRequest(Strict):
    nik = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{16}$", error="16 digits"))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = fields.String(required=True, validate=validate.Length(min=6, max=32))
    password = fields.String(required=True, validate=password)
    language = fields.String(validate=validate.OneOf(LANGUAGES), metadata={"description": "id (default) or en"})


class RegisterResponse(Schema):
    user_id = fields.UUID(required=True)
    status = fields.String(required=True)


class VerifyRequest(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    otp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="6 digits"))


class OtpRequest(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class Accepted(Schema):
    status = fields.String(required=True)


class LoginRequest(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class RefreshRequest(Strict):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenPair(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)


class LoginAnswer(Schema):
    """A citizen's token pair; for staff (officer, supervisor, admin) the second step instead: no tokens yet."""

    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(required=True, metadata={"description": "of the access token, or of the challenge"})
    second_factor = fields.String(
        metadata={"enum": ["totp", "totp_enrolment"], "description": "staff: the code step, or enrolment first"}
    )
    challenge_token = fields.String(metadata={"description": "staff: for /auth/login/code (and enrolment) only"})


class ChallengeRequest(Strict):
    challenge_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CodeRequest(Strict):
    challenge_token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="6 digits"))


class Enrolment(Schema):
    secret = fields.String(required=True, metadata={"description": "base32, for typing into the app"})
    provisioning_uri = fields.String(required=True, metadata={"description": "otpauth://totp/… (the QR holds it)"})
    qr_svg = fields.String(required=True, metadata={"description": "the provisioning URI as an SVG QR code"})


class Me(Schema):
    user_id = fields.UUID(required=True)
    full_name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(allow_none=True)
    nik_masked = fields.String(allow_none=True)
    role = fields.String(required=True)
    office_code = fields.String(allow_none=True)


class PasswordResetRequest(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class PasswordResetConfirm(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    otp = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="6 digits"))
    new_password = fields.String(required=True, validate=password)


class StaffStatus(Schema):
    user_id = fields.UUID(required=True)
    role = fields.String(required=True)
    office_code = fields.String(allow_none=True)
    status = fields.String(required=True)
    totp_enrolled = fields.Boolean(metadata={"description": "an authenticator is enrolled"})


class StaffMember(StaffStatus):
    email = fields.String(required=True)
    full_name = fields.String(required=True)


class FamilyMember(Schema):
    person_id = fields.UUID(
        allow_none=True, metadata={"description": "set when they have an account or are your dependent"}
    )
    full_name = fields.String(required=True)
    relationship = fields.String(required=True, metadata={"enum": ["head", "spouse", "child", "parent", "other"]})
    birth_date = fields.String(required=True)
    nik_masked = fields.String(required=True)
    has_account = fields.Boolean(required=True)
    is_dependent = fields.Boolean(metadata={"description": "your dependent: you book for them"})
    dependent_of_other = fields.Boolean(metadata={"description": "another account holder books for them"})


class DependentRequest(Strict):
    nik = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{16}$", error="16 digits"))


class Dependent(Schema):
    person_id = fields.UUID(required=True)
    full_name = fields.String(required=True)
    relationship = fields.String(required=True)
    birth_date = fields.String(required=True)
    nik_masked = fields.String(required=True)


class StaffRequest(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=password)
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    office_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=20))
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class Staff(Schema):
    user_id = fields.UUID(required=True)
    email = fields.String(required=True)
    full_name = fields.String(required=True)
    role = fields.String(required=True)
    office_code = fields.String(allow_none=True)
    status = fields.String(required=True)


class AuditQuery(Strict):
    event = fields.String(validate=validate.Length(max=40))
    user_id = fields.UUID()
    before = fields.AwareDateTime(metadata={"description": "entries strictly older than this (paging)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AuditEntry(Schema):
    id = fields.UUID(required=True)
    occurred_at = fields.String(required=True)
    event = fields.String(required=True)
    outcome = fields.String(required=True)
    user_id = fields.UUID(allow_none=True)
    actor_id = fields.UUID(allow_none=True)
    client_ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    detail = fields.Dict()


class AuditPage(Schema):
    entries = fields.List(fields.Nested(AuditEntry), required=True)
