"""The one error table: every error code a client can see, its HTTP status and its message.

Services raise ``ServiceError`` subclasses with a stable ``code``; the gateway raises the same kind for what
it checks itself. A code missing here is a bug and answers 500, so adding an error means adding its row.
"""

import logging

from nameko.exceptions import RemoteError

from antre_common.errors import parse_remote

log = logging.getLogger(__name__)

# code: (status, Bahasa Indonesia, English)
ERRORS = {
    "VALIDATION_ERROR": (400, "Data yang dikirim tidak valid.", "The request is invalid."),
    "MALFORMED_JSON": (400, "Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON."),
    "UNAUTHENTICATED": (401, "Silakan masuk terlebih dahulu.", "Please sign in first."),
    "TOKEN_EXPIRED": (401, "Sesi Anda telah berakhir. Silakan masuk kembali.", "Your session has expired."),
    "FORBIDDEN": (403, "Anda tidak berhak melakukan tindakan ini.", "You are not allowed to do this."),
    "NOT_FOUND": (404, "Data tidak ditemukan.", "Not found."),
    "METHOD_NOT_ALLOWED": (405, "Metode tidak diizinkan.", "Method not allowed."),
    "CONFLICT": (409, "Permintaan bertentangan dengan data yang ada.", "The request conflicts with existing data."),
    "PAYLOAD_TOO_LARGE": (413, "Berkas terlalu besar.", "The upload is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Jenis isi tidak didukung.", "Unsupported content type."),
    "RATE_LIMITED": (429, "Terlalu banyak permintaan. Coba lagi nanti.", "Too many requests. Try again later."),
    "INTERNAL": (500, "Terjadi kesalahan pada sistem.", "Something went wrong on our side."),
    "SERVICE_UNAVAILABLE": (
        503,
        "Layanan sedang tidak tersedia. Silakan coba beberapa saat lagi.",
        "The service is unavailable. Please try again shortly.",
    ),
}


class GatewayError(Exception):
    """An error the gateway itself detects (bad token, bad body, …)."""

    def __init__(self, code, errors=None, headers=None, **params):
        super().__init__(code)
        self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.params = params


def describe(exc):
    """``(code, errors, params, headers)`` for any exception reaching the edge."""
    if isinstance(exc, GatewayError):
        return exc.code, exc.errors, exc.params, exc.headers
    if isinstance(exc, RemoteError):
        doc = parse_remote(exc.value)
        if doc:
            return doc["code"], doc.get("errors"), doc.get("params") or {}, {}
        log.error("unexpected remote error", extra={"exc_type": exc.exc_type})
        return "INTERNAL", None, {}, {}
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in ERRORS:  # a local ServiceError (e.g. ServiceUnavailable)
        return code, getattr(exc, "errors", None), getattr(exc, "params", {}) or {}, {}
    log.exception("unhandled error at the gateway", exc_info=exc)
    return "INTERNAL", None, {}, {}


def problem(code, lang, errors=None, params=None):
    """The RFC 9457 body for ``code``; unknown codes are reported as INTERNAL (and logged)."""
    if code not in ERRORS:
        log.error("error code missing from the table", extra={"error_code": code})
        code = "INTERNAL"
    status, detail_id, detail_en = ERRORS[code]
    body = {
        "type": f"https://antre.imigrasi.go.id/problems/{code.lower().replace('_', '-')}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": detail_en if lang == "en" else detail_id,
    }
    if errors:
        body["errors"] = errors
    if params and status < 500:
        body.update({k: v for k, v in params.items() if k not in body})
    return status, body
