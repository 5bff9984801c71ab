"""A booking's documents: the checklist, uploads, serving a file, and the office's review.

Order of an upload: check everything, write the encrypted object, then commit the row and its event; if the
commit fails the object is removed again, and the replaced object is removed only after the commit, so a
failure half-way leaves nothing new and loses nothing old.
"""

import base64
import binascii
import logging
import uuid

from eventlet import tpool
from prometheus_client import Counter, Histogram
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from antre_common.envelope import utcnow
from antre_common.errors import ServiceError
from antre_common.metrics import metric
from documents import access, checklist, events, files
from documents.bookings import ENDED
from documents.exceptions import BookingClosed, Conflict, DocTypeNotOnChecklist, NotFound, ValidationError
from documents.models import Booking, ChecklistItem, Document

log = logging.getLogger(__name__)
UPLOADS = metric(
    Counter, "antre_documents_uploads_total", "Uploads by outcome: stored, replayed, or the error code.", ("outcome",)
)
UPLOAD_BYTES = metric(
    Histogram,
    "antre_documents_upload_bytes",
    "Size of stored uploads.",
    buckets=(2**16, 2**18, 2**20, 2**21, 2**22, 2**23),
)


def document_view(doc):
    return {
        "document_id": doc.document_id,
        "doc_type": doc.doc_type,
        "status": doc.status,
        "size": doc.size,
        "sha256": doc.sha256,
        "content_type": doc.content_type,
        "reason": doc.reason,
        "uploaded_at": doc.uploaded_at.isoformat() if doc.uploaded_at else None,
        "reviewed_at": doc.reviewed_at.isoformat() if doc.reviewed_at else None,
    }


class Uploads:
    """``bookings``: the ``Bookings`` copy; ``store``: the object store; ``keyring``: the files' key ring."""

    def __init__(self, db, bookings, store, keyring, *, max_bytes):
        self.db = db
        self.bookings = bookings
        self.store = store
        self.keyring = keyring
        self.max_bytes = max_bytes

    def checklist(self, principal, reservation_code):
        session = self.db.session
        booking = self.bookings.booking(session, reservation_code)
        access.check_read(principal, booking)
        answer = checklist.build(self.bookings.items(session, booking), self.bookings.documents(session, booking))
        answer.update(reservation_code=booking.reservation_code, booking_id=booking.booking_id)
        return answer

    def upload(self, principal, reservation_code, doc_type, content_b64):
        try:
            doc, outcome = self._upload(principal, reservation_code, doc_type, content_b64)
        except ServiceError as exc:
            UPLOADS.labels(exc.code).inc()  # refusals by reason: a spike of one is worth a look
            raise
        UPLOADS.labels(outcome).inc()
        return doc

    def _upload(self, principal, reservation_code, doc_type, content_b64):
        session = self.db.session
        booking = self.bookings.booking(session, reservation_code)
        access.check_upload(principal, booking)
        if booking.ended_at is not None or booking.status in ENDED:
            raise BookingClosed("the booking has ended")
        if not checklist.is_on_checklist(self.bookings.items(session, booking), doc_type):
            raise DocTypeNotOnChecklist(
                "this service does not ask for that document", errors={"doc_type": ["not on the checklist"]}
            )
        try:
            content = base64.b64decode(content_b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("invalid input", errors={"file": ["not base64"]}) from None
        # Decoding a large image takes a while: in a real thread, other workers and the heartbeat carry on.
        checked = tpool.execute(files.check, content, self.max_bytes)

        current = self._current(session, booking, doc_type)
        if current is not None and current.sha256 == checked.sha256 and current.status != "rejected":
            return document_view(current), "replayed"  # a retried upload: same answer, nothing new stored

        booking_id = booking.booking_id
        document_id = str(uuid.uuid4())
        object_key = f"{booking_id}/{document_id}"  # never the citizen's file name
        key_id, blob = self.keyring.encrypt(checked.content, object_key)
        session.rollback()  # end the read transaction before the slow write
        self.store.put(object_key, blob)
        replaced_key = None
        try:
            with self.db.transaction() as tx:
                old = tx.scalars(
                    select(Document)
                    .where(Document.booking_id == booking_id, Document.doc_type == doc_type)
                    .with_for_update()
                ).first()
                if old is not None:
                    replaced_key = old.object_key
                    tx.delete(old)
                    tx.flush()
                doc = Document(
                    document_id=document_id,
                    booking_id=booking_id,
                    doc_type=doc_type,
                    object_key=object_key,
                    key_id=key_id,
                    content_type=checked.content_type,
                    size=checked.size,
                    sha256=checked.sha256,
                    status="uploaded",
                    uploaded_by=principal["user_id"],
                    uploaded_at=utcnow(),
                )
                tx.add(doc)
                self.db.add_event("document_uploaded", events.document_uploaded(doc))
        except IntegrityError:
            self.store.remove_quietly(object_key)
            raise Conflict("another upload of this document is in progress") from None
        except BaseException:
            self.store.remove_quietly(object_key)
            raise
        if replaced_key:
            self.store.remove_quietly(replaced_key)
        log.info("document uploaded", extra={"document_id": document_id, "doc_type": doc_type, "size": doc.size})
        UPLOAD_BYTES.observe(doc.size)
        return document_view(doc), "stored"

    def _current(self, session, booking, doc_type):
        return session.scalars(
            select(Document).where(Document.booking_id == booking.booking_id, Document.doc_type == doc_type)
        ).first()

    def _document_and_booking(self, session, document_id):
        doc = session.get(Document, str(document_id))
        if doc is None:
            raise NotFound("no such document")
        return doc, session.get(Booking, doc.booking_id)

    def content(self, principal, document_id):
        doc, booking = self._document_and_booking(self.db.session, document_id)
        access.check_read(principal, booking)
        plain = self.keyring.decrypt(self.store.get(doc.object_key), doc.object_key)
        return {
            **document_view(doc),
            "filename": f"{doc.doc_type}.{files.ACCEPTED[doc.content_type]}",
            "content_b64": base64.b64encode(plain).decode(),
        }

    def review(self, principal, document_id, decision, reason):
        with self.db.transaction() as session:
            doc, booking = self._document_and_booking(session, document_id)
            access.check_review(principal, booking)
            reason = (reason or "").strip() or None
            if doc.status == decision and doc.reason == reason:
                return document_view(doc)  # the same review again: no second event
            doc.status, doc.reason = decision, reason
            doc.reviewed_by, doc.reviewed_at = principal["user_id"], utcnow()
            name = session.scalar(
                select(ChecklistItem.name).where(
                    ChecklistItem.booking_id == booking.booking_id, ChecklistItem.doc_type == doc.doc_type
                )
            )
            self.db.add_event("document_reviewed", events.document_reviewed(doc, booking, name))
        return document_view(doc)
