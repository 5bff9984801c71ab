"""The one base for errors a service raises to its callers.

nameko sends a remote exception to the caller as its type name and ``str(exc)``; the gateway cannot import
the services' packages, so ``str`` carries a small JSON document (stable ``code``, field ``errors``,
``params`` for the message) that the gateway's error table turns into problem+json.
"""

import json

from marshmallow import ValidationError as SchemaValidationError


class ServiceError(Exception):
    code = "INTERNAL"

    def __init__(self, message="", *, errors=None, **params):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.params = params

    def __str__(self):
        return json.dumps(
            {"code": self.code, "message": self.message, "errors": self.errors, "params": self.params},
            default=str,
        )


class ValidationError(ServiceError):
    code = "VALIDATION_ERROR"


class NotFound(ServiceError):
    code = "NOT_FOUND"


class Forbidden(ServiceError):
    code = "FORBIDDEN"


class Conflict(ServiceError):
    code = "CONFLICT"


class ServiceUnavailable(ServiceError):
    code = "SERVICE_UNAVAILABLE"


class IdempotencyKeyReused(ServiceError):
    code = "IDEMPOTENCY_KEY_REUSED"


def load(schema, data, **kwargs):
    """Validate ``data`` with a marshmallow schema, raising ``ValidationError`` with field messages."""
    try:
        return schema.load(data, **kwargs)
    except SchemaValidationError as exc:
        raise ValidationError("invalid input", errors=exc.messages) from None


def parse_remote(value):
    """The JSON document a ``ServiceError`` put in ``str(exc)``, or None for any other error."""
    try:
        doc = json.loads(value)
    except (TypeError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "code" in doc else None


def is_not_found(remote_error):
    """True when another service answered "not found" (``NOT_FOUND`` or one of its ``*_NOT_FOUND`` codes)."""
    doc = parse_remote(getattr(remote_error, "value", None)) or {}
    return str(doc.get("code", "")).endswith("NOT_FOUND")
