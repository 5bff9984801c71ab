"""Documents: the checklist of a booking, uploads, downloads and staff review.

Uploads are multipart (``doc_type``, ``file``). The gateway caps the size before it reads the body (the
Content-Length, then a stream limit for chunked bodies), and sends the bytes to documents by RPC as base64
(JSON over AMQP; ~6.7 MB for the 5 MB cap). Documents judges the content, encrypts it and decides access;
downloads stream back through here, since only documents can decrypt a file.
"""

import base64
import uuid

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

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
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the doc_type field around the file


def principal(user):
    """The caller as documents needs it to decide access (it has more callers than the gateway)."""
    return {"user_id": user.user_id, "role": user.role, "office_code": user.office_code}


def document_id_or_404(document_id):
    try:
        return str(uuid.UUID(document_id))
    except ValueError:
        raise GatewayError("NOT_FOUND") from None


def read_upload(request, max_bytes):
    """``(doc_type, bytes)`` from the multipart body, refusing an oversize body before reading it."""
    if request.mimetype != "multipart/form-data":
        raise GatewayError("UNSUPPORTED_MEDIA_TYPE")
    limit = max_bytes + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=max_bytes)
    request.max_content_length = limit  # a chunked body stops here too
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=max_bytes) from None
    extra = set(form) - {"doc_type"} | set(files) - {"file"}
    errors = {name: ["unknown field"] for name in extra}
    if "file" not in files:
        errors["file"] = ["missing"]
    try:
        doc_type = UploadForm().load({k: form[k] for k in form if k == "doc_type"})["doc_type"]
    except ValidationError as exc:
        errors.update(exc.messages)
    if errors:
        raise GatewayError("VALIDATION_ERROR", errors=errors)
    content = files["file"].stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise GatewayError("PAYLOAD_TOO_LARGE", max_bytes=max_bytes)
    if not content:
        raise GatewayError("EMPTY_FILE")
    return doc_type, content


class DocumentRoutes:
    documents = ServiceRpc("documents")
    documents_config = Config()

    def _upload_limits(self):
        config = self.documents_config
        return int(config.get("DOCUMENTS_MAX_BYTES") or 5 * MB), float(config.get("UPLOAD_RPC_TIMEOUT_SECONDS") or 30)

    @api("POST", "/api/v1/bookings/<code>/documents", form=UploadForm(), response=Document(), status=201, auth=True,
         tags=["documents"])  # fmt: skip
    def upload_document(self, request, code, user):
        """Upload one document of the booking's checklist (multipart ``doc_type`` and ``file``; PDF, JPEG or
        PNG by content; the same type again replaces the earlier file). Only the booking's owner."""
        max_bytes, timeout = self._upload_limits()
        doc_type, content = read_upload(request, max_bytes)
        encoded = base64.b64encode(content).decode()
        return self.documents.upload(code, doc_type, encoded, principal(user), timeout=timeout)

    @api("GET", "/api/v1/bookings/<code>/documents", response=Checklist(), auth=True, tags=["documents"])
    def document_checklist(self, request, code, user):
        """The booking's required documents and where each stands (owner, or staff of its office)."""
        return self.documents.checklist(code, principal(user))

    @api("GET", "/api/v1/documents/<document_id>/content", auth=True, tags=["documents"])
    def document_content(self, request, document_id, user):
        """The file itself (owner, or staff of the booking's office), never cached by a shared cache."""
        _, timeout = self._upload_limits()
        doc = self.documents.get_content(document_id_or_404(document_id), principal(user), timeout=timeout)
        response = Response(base64.b64decode(doc["content_b64"]), status=200, content_type=doc["content_type"])
        response.headers["Content-Disposition"] = f'attachment; filename="{doc["filename"]}"'
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["ETag"] = f'"{doc["sha256"]}"'
        return response

    @api("POST", "/api/v1/documents/<document_id>/review", body=ReviewRequest(), response=Document(), auth=True,
         tags=["documents"])  # fmt: skip
    def review_document(self, request, document_id, body, user):
        """Staff of the booking's office approve or reject (with a reason the citizen can act on)."""
        return self.documents.review(
            document_id_or_404(document_id), body["decision"], principal(user), reason=body.get("reason")
        )

    @api("GET", "/api/v1/offices/<code>/documents", query=OfficeDocumentsQuery(), response=WaitingDocument(many=True),
         auth=STAFF_ROLES, tags=["documents"])  # fmt: skip
    def office_documents(self, request, code, query, user):
        """Staff: documents of coming visits waiting for review (``status``, default uploaded), oldest first."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        return self.documents.office_documents({"office_code": code, "status": query["status"],
                                                "principal": principal(user)})  # fmt: skip

    @api("GET", "/api/v1/offices/<code>/visits", query=Range(), response=Visit(many=True), auth=STAFF_ROLES,
         tags=["documents"])  # fmt: skip
    def office_visits(self, request, code, query, user):
        """Staff: coming visits with their checklist status (what is missing, rejected, waiting for review)."""
        if not user.works_at(code):
            raise GatewayError("FORBIDDEN")
        period = {k: v.isoformat() if v else None for k, v in (("date_from", query["from_"]), ("date_to", query["to"]))}
        return self.documents.office_visits({"office_code": code, "principal": principal(user), **period})
