"""What clients send and get on the documents routes (spec/API.md, "Documents")."""

from marshmallow import RAISE, Schema, fields, validate


class UploadForm(Schema):
    """The non-file fields of the multipart upload; the file part is checked by size here, by content in
    the documents service."""

    class Meta:
        unknown = RAISE

    doc_type = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"))
    # Documented for OpenAPI; the route reads the file part itself, with the size cap.
    file = fields.Raw(metadata={"type": "string", "format": "binary", "description": "PDF, JPEG or PNG"})


class ReviewRequest(Schema):
    class Meta:
        unknown = RAISE

    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    reason = fields.String(
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "required (not blank) with rejected: what the citizen must do"},
    )


class Document(Schema):
    document_id = fields.String(required=True)
    doc_type = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["uploaded", "approved", "rejected"]})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    content_type = fields.String()
    reason = fields.String(allow_none=True)
    uploaded_at = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)


class ChecklistEntry(Schema):
    type = fields.String(required=True)
    name = fields.String(required=True)
    required = fields.Boolean(required=True)
    document_id = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["missing", "uploaded", "approved", "rejected"]})
    reason = fields.String(allow_none=True)


class Checklist(Schema):
    reservation_code = fields.String()
    checklist = fields.List(fields.Nested(ChecklistEntry), required=True)
    complete = fields.Boolean(
        required=True, metadata={"description": "every required document uploaded, none rejected"}
    )
    approved = fields.Boolean(metadata={"description": "staff approved every required document"})


class OfficeDocumentsQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(load_default="uploaded", validate=validate.OneOf(("uploaded", "approved", "rejected")))


class WaitingDocument(Schema):
    document_id = fields.String(required=True)
    doc_type = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "the checklist's name of the document"})
    status = fields.String(required=True)
    reservation_code = fields.String(required=True)
    visit_date = fields.String(allow_none=True)
    uploaded_at = fields.String(required=True)
    content_type = fields.String()
    size = fields.Integer()


class Visit(Schema):
    reservation_code = fields.String(required=True)
    visit_date = fields.String(allow_none=True)
    service_code = fields.String()
    complete = fields.Boolean(required=True)
    approved = fields.Boolean(required=True)
    missing = fields.List(fields.String(), metadata={"description": "required documents not uploaded, by name"})
    rejected = fields.List(fields.String())
    waiting_review = fields.List(fields.String())
