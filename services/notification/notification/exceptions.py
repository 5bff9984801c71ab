"""Errors notification raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import NotFound, ServiceError, ValidationError  # noqa: F401
