"""Errors identity raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import (  # noqa: F401
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    ServiceError,
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
