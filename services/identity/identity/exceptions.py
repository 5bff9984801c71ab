"""Errors identity raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import (  # noqa: F401
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)


class AlreadyRegistered(ServiceError):
    code = "ALREADY_REGISTERED"


class InvalidCredentials(ServiceError):
    """The same for a wrong email and a wrong password, so the answer reveals no account."""

    code = "INVALID_CREDENTIALS"


class AccountNotVerified(ServiceError):
    code = "ACCOUNT_NOT_VERIFIED"


class AccountDisabled(ServiceError):
    code = "ACCOUNT_DISABLED"


class LoginLocked(ServiceError):
    """Too many failed logins for this account or from this address; ``retry_after`` in seconds."""

    code = "LOGIN_LOCKED"


class RateLimited(ServiceError):
    code = "RATE_LIMITED"


class OtpInvalid(ServiceError):
    code = "OTP_INVALID"


class OtpExpired(ServiceError):
    code = "OTP_EXPIRED"


class OtpAttemptsExceeded(ServiceError):
    code = "OTP_ATTEMPTS_EXCEEDED"


class RefreshTokenInvalid(ServiceError):
    code = "REFRESH_TOKEN_INVALID"


class RefreshTokenReused(ServiceError):
    """A rotated refresh token came back: someone else may hold it, so its whole family is revoked."""

    code = "REFRESH_TOKEN_REUSED"


class PhoneLimitReached(ServiceError):
    """The phone number already has ``ACCOUNTS_PER_PHONE`` accounts (issue 21)."""

    code = "PHONE_LIMIT_REACHED"


class OtpUsed(ServiceError):
    """A password-reset code that has already been used (or replaced by a newer one)."""

    code = "OTP_USED"


class NikNotVerified(ServiceError):
    """The population registry does not know this NIK with this name and birth date."""

    code = "NIK_NOT_VERIFIED"


class NotOnFamilyCard(ServiceError):
    code = "NOT_ON_FAMILY_CARD"


class DependentHasAccount(ServiceError):
    """The family member has an account of their own: they book for themselves."""

    code = "DEPENDENT_HAS_ACCOUNT"


class AlreadyADependent(ServiceError):
    """The family member is already someone's dependent (one holder per person)."""

    code = "ALREADY_A_DEPENDENT"


class PersonNotFound(ServiceError):
    """Neither the holder nor one of their dependents: someone else's are not revealed."""

    code = "PERSON_NOT_FOUND"


class ChallengeInvalid(ServiceError):
    """The login challenge (between password and code) is unknown, used or past its few minutes."""

    code = "CHALLENGE_INVALID"


class TotpInvalid(ServiceError):
    """A wrong authenticator code, or one already used (the same answer: a replay learns nothing)."""

    code = "TOTP_INVALID"


class TotpAlreadyEnrolled(ServiceError):
    """The account has an authenticator already; an admin resets it before a new one is enrolled."""

    code = "TOTP_ALREADY_ENROLLED"
