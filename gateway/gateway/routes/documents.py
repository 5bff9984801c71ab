"""Documents: the checklist of a booking, uploads, downloads and staff review.

Uploads are multipart (``doc_type``, ``file``). The gateway caps the size before it reads the body (the
Content-Length, then a count for chunked bodies), asks documents for an upload grant (RPC: the booking,
the caller's right, the booking still open), then streams the body as it comes, a chunk at a time, to
documents' internal endpoint (``DOCUMENTS_UPLOAD_URL``) with the grant; the file never travels through
RabbitMQ and neither process holds it whole. Documents reads the form, judges the content, encrypts it
and stores it; its answer is the document or an error code of the table. Downloads the same way back:
a download grant (RPC: the reader's right, the view recorded), then the file from documents' internal
endpoint, passed on to the client a chunk at a time; only documents can decrypt a file.
"""

import json
import time
import uuid

import urllib3
from nameko.dependency_providers import Config
from prometheus_client import Histogram
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response

from antre_common.metrics import metric
from antre_common.rpc import ServiceRpc
from gateway.auth import STAFF_ROLES
from gateway.errors import GatewayError
from gateway.http import api
from gateway.schemas.documents import (
    Checklist,
    Document,
    OfficeDocumentsQuery,
    ReviewRequest,
    UploadForm,
    Visit,
    WaitingDocument,
)
from gateway.schemas.insight import Range

MB = 1024 * 1024
UPLOAD_STAGES = metric(
    Histogram,
    "antre_gateway_upload_stage_seconds",
    "An upload at the gateway: grant (the RPC to documents), stream (the body to documents and its answer).",
    ("stage",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the doc_type field around the file
UPLOAD_ERRORS = (
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "UNSUPPORTED_FILE_TYPE",
    "DOCUMENT_UNREADABLE",
    "IMAGE_TOO_LARGE",
    "DOCUMENT_TOO_COMPLEX",
    "DOC_TYPE_NOT_ON_CHECKLIST",
    "IDEMPOTENCY_KEY_REUSED",
)


def document_id_or_404(document_id):
    try:
        return str(uuid.UUID(document_id))
    except ValueError:
        raise GatewayError("NOT_FOUND") from None


def body_chunks(request, limit, chunk=64 * 1024):
    """The request body as it arrives, refusing a body over ``limit`` before reading it (Content-Length) or
    as soon as the count passes it (chunked)."""
    if request.content_length is not None and request.content_length > limit:
        raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=limit - FORM_OVERHEAD)
    if request.content_length is None:
        # eventlet's input decodes a chunked body and ends at its last chunk; werkzeug reads it only if told.
        request.environ["wsgi.input_terminated"] = True
    stream, total = request.stream, 0
    while True:
        try:
            data = stream.read(chunk)
        except (ClientDisconnected, OSError, ValueError):
            raise GatewayError("VALIDATION_ERROR", errors={"file": ["the upload was cut short"]}) from None
        if not data:
            return
        total += len(data)
        if total > limit:
            raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=limit - FORM_OVERHEAD)
        yield data


def documents_error(response):
    """documents' error answer as the gateway's (the table gives the status)."""
    try:
        doc = json.loads(response.data)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("code"), str):
        return GatewayError(doc["code"], errors=doc.get("errors"), **(doc.get("params") or {}))
    return GatewayError("INTERNAL")


def documents_answer(response):
    """The document documents stored, or its error."""
    if response.status == 200:
        try:
            doc = json.loads(response.data)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            return doc
    raise documents_error(response)


def passed_on(response, chunk=64 * 1024):
    """documents' answer body a chunk at a time. Read to its end, its connection goes back to the pool; if the
    client went away half-way it is closed, never pooled with the rest of a body unread."""
    finished = False
    try:
        yield from response.stream(chunk)
        finished = True
    finally:
        if finished:
            response.release_conn()
        else:
            response.close()


# One pool per process for the streams to and from documents: never retried (a body is read once), connect
# quickly.
DOCUMENTS_POOL = urllib3.PoolManager(maxsize=20, block=False, retries=False)


class DocumentRoutes:
    documents = ServiceRpc("documents")
    documents_config = Config()

    def _upload_limits(self):
        config = self.documents_config
        return int(config.get("DOCUMENTS_MAX_BYTES") or 5 * MB), float(config.get("UPLOAD_RPC_TIMEOUT_SECONDS") or 30)

    def _documents_url(self, path):
        url = self.documents_config.get("DOCUMENTS_UPLOAD_URL") or "http://127.0.0.1:8003"
        return f"{url.rstrip('/')}{path}"

    def _stream_to_documents(self, request, grant, limit, timeout):
        headers = {"Content-Type": request.headers["Content-Type"], "X-Upload-Grant": grant["grant"]}
        if request.headers.get("Idempotency-Key"):  # documents keeps the first answer per user and key
            headers["Idempotency-Key"] = request.headers["Idempotency-Key"]
        if request.content_length is not None:
            headers["Content-Length"] = str(request.content_length)
        try:
            response = DOCUMENTS_POOL.urlopen(
                "POST",
                self._documents_url(f"/internal/v1/bookings/{grant['booking_id']}/documents"),
                body=body_chunks(request, limit),
                headers=headers,
                chunked=request.content_length is None,
                timeout=urllib3.Timeout(connect=2.0, read=timeout),
            )
        except urllib3.exceptions.HTTPError:
            raise GatewayError("SERVICE_UNAVAILABLE", service="documents") from None
        return documents_answer(response)

    @api("POST", "/api/v1/bookings/<code>/documents", form=UploadForm(), response=Document(), status=201, auth=True,
         tags=["documents"], idempotent=True, errors=UPLOAD_ERRORS)  # fmt: skip
    def upload_document(self, request, code, user):
        """Upload one document of the booking's checklist (multipart ``doc_type`` and ``file``; PDF, JPEG or
        PNG by content; the same type again replaces the earlier file). Only the booking's owner. What is
        stored and served is a sanitised copy: images re-encoded without metadata, PDFs without scripts,
        actions or embedded files (``size`` and ``sha256`` are the stored copy's). Honours Idempotency-Key."""
        max_bytes, timeout = self._upload_limits()
        if request.mimetype != "multipart/form-data":
            raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
        limit = max_bytes + FORM_OVERHEAD
        if request.content_length is not None and request.content_length > limit:
            raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=max_bytes)  # before reading the body or asking
        started = time.perf_counter()
        grant = self.documents.upload_grant(code)
        granted = time.perf_counter()
        UPLOAD_STAGES.labels("grant").observe(granted - started)
        try:
            return self._stream_to_documents(request, grant, limit, timeout)
        finally:
            UPLOAD_STAGES.labels("stream").observe(time.perf_counter() - granted)

    @api("GET", "/api/v1/bookings/<code>/documents", response=Checklist(), auth=True, tags=["documents"])
    def document_checklist(self, request, code, user):
        """The booking's required documents and where each stands (owner, or staff of its office)."""
        return self.documents.checklist(code)

    @api("GET", "/api/v1/documents/<document_id>/content", auth=True, tags=["documents"],
         media=("application/pdf", "image/jpeg", "image/png"))  # fmt: skip
    def document_content(self, request, document_id, user):
        """The file itself (owner, or staff of the booking's office), never cached by a shared cache."""
        _, timeout = self._upload_limits()
        doc = self.documents.download_grant(document_id_or_404(document_id))
        try:
            served = DOCUMENTS_POOL.urlopen(
                "GET",
                self._documents_url(f"/internal/v1/documents/{doc['document_id']}/content"),
                headers={"X-Download-Grant": doc["grant"]},
                preload_content=False,
                timeout=urllib3.Timeout(connect=2.0, read=timeout),
            )
        except urllib3.exceptions.HTTPError:
            raise GatewayError("SERVICE_UNAVAILABLE", service="documents") from None
        if served.status != 200:
            raise documents_error(served)  # its body read whole: the connection is back in the pool
        response = Response(passed_on(served), status=200, content_type=doc["content_type"])
        response.headers["Content-Length"] = served.headers.get("Content-Length", str(doc["size"]))
        response.headers["Content-Disposition"] = f'attachment; filename="{doc["filename"]}"'
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Opened in a tab anyway, the file runs nothing and reaches nothing: no script, no origin, no fetch.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["ETag"] = f'"{doc["sha256"]}"'
        return response

    @api("POST", "/api/v1/documents/<document_id>/review", body=ReviewRequest(), response=Document(), auth=True,
         tags=["documents"])  # fmt: skip
    def review_document(self, request, document_id, body, user):
        """Staff of the booking's office approve or reject (with a reason the citizen can act on)."""
        return self.documents.review(document_id_or_404(document_id), body["decision"], reason=body.get("reason"))

    @api("GET", "/api/v1/offices/<code>/documents", query=OfficeDocumentsQuery(), response=WaitingDocument(many=True),
         auth=STAFF_ROLES, tags=["documents"])  # fmt: skip
    def office_documents(self, request, code, query, user):
        """Staff: documents of coming visits waiting for review (``status``, default uploaded), oldest first."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        return self.documents.office_documents({"office_code": code, "status": query["status"]})

    @api("GET", "/api/v1/offices/<code>/visits", query=Range(), response=Visit(many=True), auth=STAFF_ROLES,
         tags=["documents"])  # fmt: skip
    def office_visits(self, request, code, query, user):
        """Staff: coming visits with their checklist status (what is missing, rejected, waiting for review)."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        period = {k: v.isoformat() if v else None for k, v in (("date_from", query["from_"]), ("date_to", query["to"]))}
        return self.documents.office_visits({"office_code": code, **period})
