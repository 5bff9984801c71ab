"""Review before the visit, for staff of an office: the documents waiting for review, oldest upload first,
and the coming visits with where each checklist stands. Reads only; the review itself is in ``uploads``.

"Coming" is by the visit's office-local date from the day before today in UTC on: documents does not
keep the office's time zone, and a day of margin never hides a visit that is today somewhere in Indonesia
(UTC+7 to UTC+9)."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, select

from antre_common.envelope import utcnow
from documents import access, checklist
from documents.bookings import ENDED
from documents.exceptions import Forbidden
from documents.models import Booking, ChecklistItem, Document

LIMIT = 500


def _office_staff(principal, office_code):
    role = principal["role"]
    if not (role == "admin" or (role in access.STAFF_ROLES and principal.get("office_code") == office_code)):
        raise Forbidden("only staff of the office")


def _since(date_from):
    return date_from.isoformat() if date_from else (utcnow() - timedelta(days=1)).date().isoformat()


def _coming(office_code, since, until=None):
    clauses = [Booking.office_code == office_code, Booking.visit_date >= since, Booking.ended_at.is_(None),
               Booking.status.not_in(ENDED)]  # fmt: skip
    if until:
        clauses.append(Booking.visit_date <= until.isoformat())
    return clauses


def waiting(session, principal, office_code, status="uploaded", date_from=None):
    """Documents of coming visits with ``status``, oldest upload first, with the checklist's name."""
    _office_staff(principal, office_code)
    rows = session.execute(
        select(Document, Booking, ChecklistItem.name)
        .join(Booking, Booking.booking_id == Document.booking_id)
        .outerjoin(
            ChecklistItem,
            and_(ChecklistItem.booking_id == Document.booking_id, ChecklistItem.doc_type == Document.doc_type),
        )  # fmt: skip
        .where(Document.status == status, *_coming(office_code, _since(date_from)))
        .order_by(Document.uploaded_at, Document.document_id)
        .limit(LIMIT)
    ).all()
    return [
        {
            "document_id": doc.document_id,
            "doc_type": doc.doc_type,
            "name": name or doc.doc_type,
            "status": doc.status,
            "reservation_code": booking.reservation_code,
            "visit_date": booking.visit_date,
            "uploaded_at": doc.uploaded_at.isoformat(),
            "content_type": doc.content_type,
            "size": doc.size,
        }
        for doc, booking, name in rows
    ]


def visits(session, principal, office_code, date_from=None, date_to=None):
    """Coming visits (by date, then code) with their checklist: complete, approved, and by name what is
    missing, rejected or waiting for review."""
    _office_staff(principal, office_code)
    bookings = session.scalars(
        select(Booking)
        .where(*_coming(office_code, _since(date_from), date_to))
        .order_by(Booking.visit_date, Booking.reservation_code)
        .limit(LIMIT)
    ).all()
    ids = [b.booking_id for b in bookings]
    items, docs = defaultdict(list), defaultdict(list)
    for item in session.scalars(select(ChecklistItem).where(ChecklistItem.booking_id.in_(ids))):
        items[item.booking_id].append(item)
    for doc in session.scalars(select(Document).where(Document.booking_id.in_(ids))):
        docs[doc.booking_id].append(doc)
    out = []
    for booking in bookings:
        state = checklist.build(items[booking.booking_id], docs[booking.booking_id])
        out.append(
            {
                "reservation_code": booking.reservation_code,
                "visit_date": booking.visit_date,
                "service_code": booking.service_code,
                "complete": state["complete"],
                "approved": state["approved"],
                "missing": [e["name"] for e in state["checklist"] if e["required"] and e["status"] == "missing"],
                "rejected": _names(state, "rejected"),
                "waiting_review": _names(state, "uploaded"),
            }
        )
    return out


def _names(state, status):
    return [e["name"] for e in state["checklist"] if e["status"] == status]
