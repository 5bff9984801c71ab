"""Errors documents raises to its callers; each `code` has one row in the gateway's error table."""

from antre_common.errors import (  # noqa: F401
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)


class EmptyFile(ServiceError):
    code = "EMPTY_FILE"  # 400


class PayloadTooLarge(ServiceError):
    code = "PAYLOAD_TOO_LARGE"  # 413, the gateway's own code for the same thing


class UnsupportedFileType(ServiceError):
    code = "UNSUPPORTED_FILE_TYPE"  # 415: not a PDF, JPEG or PNG by its content


class DocumentUnreadable(ServiceError):
    code = "DOCUMENT_UNREADABLE"  # 422: the right type, but it does not parse (truncated, encrypted, …)


class ImageTooLarge(ServiceError):
    code = "IMAGE_TOO_LARGE"  # 422: its pixels would take more memory than allowed; refused before decoding


class DocumentTooComplex(ServiceError):
    code = "DOCUMENT_TOO_COMPLEX"  # 422: judging it went past the sandbox's memory or time (a bomb)


class DocTypeNotOnChecklist(ServiceError):
    code = "DOC_TYPE_NOT_ON_CHECKLIST"  # 422: this booking's service does not ask for that document


class BookingClosed(ServiceError):
    code = "BOOKING_CLOSED"  # 409: cancelled, completed or no-show; uploads are over


class UploadGrantInvalid(ServiceError):
    code = "UPLOAD_GRANT_INVALID"  # 403: the internal upload endpoint got no valid, unused grant for this booking


class DownloadGrantInvalid(ServiceError):
    code = "DOWNLOAD_GRANT_INVALID"  # 403: the internal download endpoint got no valid grant for this document
