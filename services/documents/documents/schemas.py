"""What crosses documents's boundary, validated on the way in (it has more callers than the gateway)."""

from marshmallow import ValidationError, fields, validate, validates_schema

from antre_common.schemas import Lenient, Strict

DOC_TYPE = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")
RESERVATION_CODE = validate.Length(min=4, max=32)


class ChecklistArgs(Strict):
    reservation_code = fields.String(required=True, validate=RESERVATION_CODE)


class UploadForm(Strict):
    """The non-file field of the multipart upload streamed to the internal endpoint (intake.py)."""

    doc_type = fields.String(required=True, validate=DOC_TYPE)


class DocumentArgs(Strict):
    document_id = fields.UUID(required=True)


class ReviewArgs(Strict):
    document_id = fields.UUID(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("approved", "rejected")))
    reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))

    @validates_schema
    def reason_for_rejection(self, data, **kwargs):
        if data["decision"] == "rejected" and not (data.get("reason") or "").strip():
            raise ValidationError("a rejection needs a reason the citizen can act on", "reason")


class OfficeDocumentsArgs(Strict):
    office_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    status = fields.String(load_default="uploaded", validate=validate.OneOf(("uploaded", "approved", "rejected")))
    date_from = fields.Date(load_default=None, allow_none=True)


class OfficeVisitsArgs(Strict):
    office_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)


class BookingCreatedData(Lenient):
    """``booking_created`` data, or ``scheduling.get_booking``'s answer."""

    booking_id = fields.String(required=True)
    reservation_code = fields.String(required=True)
    user_id = fields.String(required=True)
    office_code = fields.String(required=True)
    service_code = fields.String(required=True)
    date = fields.String(load_default=None)
    status = fields.String(load_default="confirmed")


class BookingTransferredData(Lenient):
    """``booking_transferred``: the booking belongs to ``user_id`` now (a dependent's own account)."""

    booking_id = fields.String(required=True)
    reservation_code = fields.String(required=True)  # to ask scheduling for a booking not known yet
    user_id = fields.String(required=True)


class RequiredDocumentSchema(Lenient):
    type = fields.String(required=True, validate=DOC_TYPE)
    name = fields.String(required=True)
    required = fields.Boolean(load_default=True)
