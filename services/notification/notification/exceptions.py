"""Errors notification raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import NotFound, ServiceError, ValidationError  # noqa: F401


class MessageNotFound(ServiceError):
    """No message Antre sent has this check code: unknown, mistyped, malformed or deleted, one answer."""

    code = "MESSAGE_NOT_FOUND"


class RateLimited(ServiceError):
    """Too many verifications from one address; ``retry_after`` seconds until its window ends."""

    code = "RATE_LIMITED"
