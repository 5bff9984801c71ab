"""Errors integration raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import NotFound, ServiceError, ValidationError  # noqa: F401


class InvalidClient(ServiceError):
    """Unknown client id or wrong secret: one answer for both (OAuth2 ``invalid_client``)."""

    code = "INVALID_CLIENT"


class ClientRevoked(ServiceError):
    """The client (or the client of this token) was revoked by an admin."""

    code = "CLIENT_REVOKED"


class ClientNotFound(ServiceError):
    code = "CLIENT_NOT_FOUND"


class InvalidToken(ServiceError):
    """No integration token, an unknown one, or one past its expiry: ask for a new one."""

    code = "INVALID_TOKEN"


class CursorNotFound(ServiceError):
    """A well-formed cursor that this replay never handed out."""

    code = "CURSOR_NOT_FOUND"


class CursorExpired(ServiceError):
    """The cursor points before the retention period: the events after it are partly gone (410)."""

    code = "CURSOR_EXPIRED"
