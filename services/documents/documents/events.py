"""The events documents publishes (spec/EVENTS.md): one function per event, building its data.

Receivers' schemas and test doubles are checked against these (tests/contracts).
"""


def document_uploaded(doc):
    return {"document_id": doc.document_id, "booking_id": doc.booking_id, "doc_type": doc.doc_type}


def document_reviewed(doc, booking, name=None):
    """``decision`` is ``approved`` or ``rejected`` (``schemas.ReviewArgs``); ``document_name`` is the
    checklist's name of the document, so the citizen reads which one, not its code."""
    return {
        "document_id": doc.document_id,
        "booking_id": booking.booking_id,
        "reservation_code": booking.reservation_code,
        "user_id": booking.user_id,
        "doc_type": doc.doc_type,
        "decision": doc.status,
        "reason": doc.reason,
        "document_name": name,
    }


def document_viewed(doc, booking, principal):
    """Someone read a document's file (the officer's view or a download): who (user id, role, office), what
    (document, booking, reservation code). Identity records it in the audit log; no personal data."""
    return {
        "document_id": doc.document_id,
        "doc_type": doc.doc_type,
        "booking_id": booking.booking_id,
        "reservation_code": booking.reservation_code,
        "viewer_id": principal["user_id"],
        "viewer_role": principal["role"],
        "viewer_office": principal.get("office_code"),
    }
