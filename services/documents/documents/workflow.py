"""The documents workflow: learn bookings, take uploads, serve files, record reviews, delete on time.

Plain Python over the service's dependencies (database handle, object store, keyring, scheduling RPC), so
service.py stays a list of entrypoints. Order of an upload: check everything, write the encrypted object,
then commit the row and its event; if the commit fails the object is removed again, and the replaced
object is removed only after the commit, so a failure half-way leaves nothing new and loses nothing old.
"""

import base64
import binascii
import logging
import uuid
from datetime import datetime, timedelta

from eventlet import tpool
from nameko.exceptions import RemoteError
from prometheus_client import Counter, Histogram
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from antre_common.envelope import utcnow
from antre_common.errors import ServiceError, load, parse_remote
from antre_common.metrics import metric
from documents import access, checklist, files
from documents.exceptions import (
    BookingClosed,
    Conflict,
    DocTypeNotOnChecklist,
    NotFound,
    ServiceUnavailable,
    ValidationError,
)
from documents.models import Booking, ChecklistItem, Document
from documents.schemas import BookingCreatedData, RequiredDocumentSchema

log = logging.getLogger(__name__)
ENDED = ("cancelled", "completed", "no_show")
UPLOADS = metric(
    Counter, "antre_documents_uploads_total", "Uploads by outcome: stored, replayed, or the error code.", ("outcome",)
)
UPLOAD_BYTES = metric(
    Histogram,
    "antre_documents_upload_bytes",
    "Size of stored uploads.",
    buckets=(2**16, 2**18, 2**20, 2**21, 2**22, 2**23),
)
PURGED = metric(Counter, "antre_documents_purged_objects_total", "Objects deleted by retention.")
ASK_AFTER_DAYS = 1  # a booking still open a day after its visit: ask scheduling whether it ended
OVER_AFTER_DAYS = 7  # still open a week after its visit: the visit is over, whatever the status says


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


class Workflow:
    def __init__(self, db, store, keyring, scheduling, *, max_bytes):
        self.db = db
        self.store = store
        self.keyring = keyring
        self.scheduling = scheduling
        self.max_bytes = max_bytes

    # -- bookings -----------------------------------------------------------------------------------------

    def _ask_scheduling(self, method, *args):
        try:
            return getattr(self.scheduling, method)(*args)
        except RemoteError as exc:
            doc = parse_remote(exc.value) or {}
            if str(doc.get("code", "")).endswith("NOT_FOUND"):  # NOT_FOUND, BOOKING_NOT_FOUND, …
                raise NotFound("no such booking") from None
            raise ServiceUnavailable("scheduling failed", service="scheduling") from None

    def required_documents(self, service_code):
        """The service's checklist from scheduling, or None when scheduling cannot answer now."""
        try:
            service = self._ask_scheduling("get_service", service_code)
        except (ServiceUnavailable, NotFound):
            return None
        return load(RequiredDocumentSchema(many=True), service.get("required_documents") or [])

    def remember_booking(self, session, data, required, status="confirmed"):
        """Insert the booking once (events and lookups may race) and its checklist if we have it."""
        session.execute(
            pg_insert(Booking)
            .values(
                booking_id=data["booking_id"],
                reservation_code=data["reservation_code"],
                user_id=data["user_id"],
                office_code=data["office_code"],
                service_code=data["service_code"],
                status=data.get("status") or status,
                visit_date=data.get("date"),
                checklist_loaded=False,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        booking = session.get(Booking, data["booking_id"], with_for_update=True)
        if booking.status in ENDED and booking.ended_at is None:  # learnt late: it has already ended
            booking.ended_at = utcnow()
        if required is not None and not booking.checklist_loaded:
            for position, item in enumerate(required):
                session.merge(
                    ChecklistItem(
                        booking_id=booking.booking_id,
                        doc_type=item["type"],
                        name=item["name"],
                        required=item["required"],
                        position=position,
                    )
                )
            booking.checklist_loaded = True
        return booking

    def on_booking_created(self, envelope):
        data = load(BookingCreatedData(), envelope["data"])
        required = self.required_documents(data["service_code"])  # before the transaction: no lock over RPC
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "documents"):
                return
            self.remember_booking(session, data, required)

    def on_booking_ended(self, envelope, status):
        """Cancelled, completed or no-show: the retention clock starts at the event's time."""
        data = envelope["data"]
        ended_at = datetime.fromisoformat(envelope["occurred_at"])
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "documents"):
                return
            query = select(Booking).with_for_update()
            if data.get("booking_id"):
                query = query.where(Booking.booking_id == str(data["booking_id"]))
            elif data.get("reservation_code"):
                query = query.where(Booking.reservation_code == data["reservation_code"])
            else:
                return  # a walk-in ticket: no booking, no documents
            booking = session.scalars(query).first()
            if booking is not None and booking.ended_at is None:
                booking.status = status
                booking.ended_at = ended_at

    def booking(self, session, reservation_code):
        """The booking with its checklist, learnt from scheduling if its event has not arrived yet.

        Codes are stored as scheduling canonicalises them; a code typed another way ("k7qd-m2xp") that the
        simple clean-up here does not match is resolved by scheduling."""
        reservation_code = reservation_code.strip().upper().replace("-", "").replace(" ", "")
        booking = session.scalars(select(Booking).where(Booking.reservation_code == reservation_code)).first()
        if booking is not None and booking.checklist_loaded:
            return booking
        if booking is None:
            data = load(BookingCreatedData(), self._ask_scheduling("get_booking", reservation_code))
        else:
            data = {c: getattr(booking, c) for c in ("booking_id", "reservation_code", "user_id")}
            data.update(office_code=booking.office_code, service_code=booking.service_code, status=booking.status)
        required = self.required_documents(data["service_code"])
        if required is None:
            raise ServiceUnavailable("the checklist is not known yet", service="scheduling")
        session.rollback()  # nothing was written; start clean for the insert
        with self.db.transaction() as tx:
            self.remember_booking(tx, data, required)
        return session.get(Booking, data["booking_id"])

    def _items(self, session, booking):
        return session.scalars(select(ChecklistItem).where(ChecklistItem.booking_id == booking.booking_id)).all()

    def _documents(self, session, booking):
        return session.scalars(select(Document).where(Document.booking_id == booking.booking_id)).all()

    # -- the routes -----------------------------------------------------------------------------------------

    def checklist(self, principal, reservation_code):
        session = self.db.session
        booking = self.booking(session, reservation_code)
        access.check_read(principal, booking)
        answer = checklist.build(self._items(session, booking), self._documents(session, booking))
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
        booking = self.booking(session, reservation_code)
        access.check_upload(principal, booking)
        if booking.ended_at is not None or booking.status in ENDED:
            raise BookingClosed("the booking has ended")
        if not checklist.is_on_checklist(self._items(session, booking), doc_type):
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
                self.db.add_event(
                    "document_uploaded",
                    {"document_id": document_id, "booking_id": booking_id, "doc_type": doc_type},
                )
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
            self.db.add_event(
                "document_reviewed",
                {
                    "document_id": doc.document_id,
                    "booking_id": booking.booking_id,
                    "reservation_code": booking.reservation_code,
                    "user_id": booking.user_id,
                    "doc_type": doc.doc_type,
                    "decision": decision,
                    "reason": reason,
                },
            )
        return document_view(doc)

    # -- retention ------------------------------------------------------------------------------------------

    def close_stale(self, now, limit=50):
        """Start the retention clock of bookings whose end no event told us (a completed visit has no
        booking event of its own yet): ask scheduling about bookings past their day; a week after the visit
        the booking counts as over anyway, so no file is kept forever. Returns how many were closed."""
        session = self.db.session
        asked_before = (now - timedelta(days=ASK_AFTER_DAYS)).date().isoformat()
        over_before = (now - timedelta(days=OVER_AFTER_DAYS)).date().isoformat()
        stale = session.execute(
            select(Booking.reservation_code, Booking.visit_date)
            .where(Booking.ended_at.is_(None), Booking.visit_date < asked_before)
            .order_by(Booking.visit_date)
            .limit(limit)
        ).all()
        session.rollback()
        closed = 0
        for code, visit_date in stale:
            try:
                answer = self._ask_scheduling("get_booking", code)
            except NotFound:
                answer = {"status": "cancelled"}  # scheduling no longer knows it
            except ServiceUnavailable:
                break  # try again at the next sweep
            status, visit_date = answer.get("status"), answer.get("date") or visit_date
            query = update(Booking).where(Booking.reservation_code == code, Booking.ended_at.is_(None))
            with self.db.transaction() as tx:
                if status in ENDED or visit_date < over_before:
                    tx.execute(query.values(status=status if status in ENDED else Booking.status, ended_at=now))
                    closed += 1
                else:
                    tx.execute(query.values(visit_date=visit_date))  # rescheduled: wait for the new day
        return closed

    def on_booking_rescheduled(self, envelope):
        """The visit moved: the day after which documents asks whether it ended moves with it."""
        data = envelope["data"]
        new_date = (data.get("new_slot") or {}).get("date")
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "documents") or not new_date:
                return
            session.execute(
                update(Booking)
                .where(Booking.booking_id == str(data.get("booking_id")), Booking.ended_at.is_(None))
                .values(visit_date=str(new_date))
            )

    def purge_expired(self, now, retention_days, limit=100):
        """Delete the files and rows of bookings that ended ``retention_days`` ago; returns bookings purged.

        Replicas run this timer too: SKIP LOCKED lets each take different bookings."""
        cutoff = now - timedelta(days=retention_days)
        purged = 0
        with self.db.transaction() as session:
            bookings = session.scalars(
                select(Booking)
                .where(Booking.ended_at <= cutoff, Booking.purged_at.is_(None))
                .order_by(Booking.ended_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            for booking in bookings:
                prefix = f"{booking.booking_id}/"
                keys = set(self.store.keys(prefix)) | {d.object_key for d in self._documents(session, booking)}
                for key in sorted(keys):
                    self.store.remove(key)
                count = session.execute(delete(Document).where(Document.booking_id == booking.booking_id)).rowcount
                booking.purged_at = now
                purged += 1
                PURGED.inc(len(keys))
                # booking id and counts only: nothing that identifies the person.
                log.info(
                    "documents deleted after retention",
                    extra={
                        "booking_id": booking.booking_id,
                        "documents": count,
                        "objects": len(keys),
                        "ended_at": booking.ended_at.isoformat(),
                        "retention_days": retention_days,
                    },
                )
        return purged
