"""A booking's documents: the checklist, uploads, serving a file, and the office's review.

An upload comes in two steps (grants.py): the gateway asks for a grant (the caller's right to upload now),
then streams the multipart body to documents' internal HTTP endpoint with it; the file never travels
through RabbitMQ, and it is encrypted as it arrives into a bounded spool (intake.py). Order: the grant and
the booking, the body read and encrypted, the form checked, the Idempotency-Key and retry checks, the
content judged and sanitised in a sandbox process (sandbox.py, files.py) into a second encrypted spool,
that harmless form written to the store (never the upload as received), then the row, its event and its
Idempotency-Key record committed; if the commit fails the object is removed again, and the replaced object
is removed only after the commit, so a failure half-way leaves nothing new and loses nothing old.
"""

import json
import logging
import time
import uuid
from datetime import timedelta

from prometheus_client import Counter, Histogram
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from antre_common.envelope import utcnow
from antre_common.errors import ServiceError, load
from antre_common.idempotency import IdempotencyRecords, request_hash
from antre_common.metrics import metric
from documents import access, checklist, events, files, intake
from documents.bookings import ENDED
from documents.exceptions import (
    BookingClosed,
    Conflict,
    DocTypeNotOnChecklist,
    EmptyFile,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    ValidationError,
)
from documents.grants import DownloadGrants, Grants
from documents.models import Booking, ChecklistItem, Document, IdempotencyRecord
from documents.schemas import UploadForm

log = logging.getLogger(__name__)
RECORDS = IdempotencyRecords(IdempotencyRecord, owner="user_id")
IDEMPOTENCY_DAYS = 1  # how long an Idempotency-Key's first answer is kept (as identity and scheduling)
UPLOADS = metric(
    Counter, "antre_documents_uploads_total", "Uploads by outcome: stored, replayed, or the error code.", ("outcome",)
)
STAGES = metric(
    Histogram,
    "antre_documents_upload_stage_seconds",
    "Time in each stage of a streamed upload: grant (redeem, booking), receive (read, encrypt), judge "
    "(type, parse, replay check; the S3 PUT runs meanwhile), store (what is left of the PUT), commit (row, "
    "event, old object removed).",
    ("stage",),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPLOAD_BYTES = metric(
    Histogram,
    "antre_documents_upload_bytes",
    "Size of stored uploads.",
    buckets=(2**16, 2**18, 2**20, 2**21, 2**22, 2**23),
)


def idempotency_key(request):
    """The upload's ``Idempotency-Key`` (the gateway passes the client's on), or None."""
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 100:
        raise ValidationError("invalid input", errors={"Idempotency-Key": ["at most 100 characters"]})
    return key


def _same(current, its_sha256, sha256):
    """Whether the upload is the current document again (a rejected one may be sent again for review)."""
    return current is not None and its_sha256 == sha256 and current.status != "rejected"


def _pieces(view, size=64 * 1024):
    return iter(lambda: view.read(size), b"")


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


class Stages:
    """Observes the time since the last stage ended into ``STAGES``."""

    def __init__(self):
        self.last = time.perf_counter()

    def done(self, stage):
        now = time.perf_counter()
        STAGES.labels(stage).observe(now - self.last)
        self.last = now


class Uploads:
    """``bookings``: the ``Bookings`` copy; ``store``: the object store; ``keyring``: the files' key ring;
    ``settings``: documents' ``Settings`` (upload cap, spool); ``sandbox``: the ``sandbox.Sandbox`` that
    judges and sanitises files."""

    def __init__(self, db, bookings, store, keyring, *, settings, sandbox):
        self.db = db
        self.sandbox = sandbox
        self.bookings = bookings
        self.store = store
        self.keyring = keyring
        self.max_bytes = settings.max_bytes
        self.spool_memory_bytes = settings.spool_memory_bytes
        self.spool_dir = settings.spool_dir
        self.grants = Grants(db, keyring.ring, settings.upload_grant_seconds)
        self.download_grants = DownloadGrants(keyring.ring)

    def checklist(self, principal, reservation_code):
        session = self.db.session
        booking = self.bookings.booking(session, reservation_code)
        access.check_read(principal, booking)
        answer = checklist.build(self.bookings.items(session, booking), self.bookings.documents(session, booking))
        answer.update(reservation_code=booking.reservation_code, booking_id=booking.booking_id)
        return answer

    def _open_booking(self, session, principal, reservation_code):
        booking = self.bookings.booking(session, reservation_code)
        access.check_upload(principal, booking)
        if booking.ended_at is not None or booking.status in ENDED:
            raise BookingClosed("the booking has ended")
        return booking

    def grant(self, principal, reservation_code):
        """Step 1 of an upload (grants.py): the gateway's caller may upload to this booking now."""
        try:
            booking = self._open_booking(self.db.session, principal, reservation_code)
        except ServiceError as exc:
            UPLOADS.labels(exc.code).inc()
            raise
        return {"booking_id": booking.booking_id, "grant": self.grants.issue(principal, booking)}

    def receive(self, request, booking_id):
        """Step 2: the multipart body the gateway streams here with the grant; the answer for the gateway is
        ``200`` and the document, or ``422`` and the error document of a ``ServiceError`` (any code: the
        gateway's table gives the status), or ``503`` the same way when a part is down."""
        chunks = intake.body_chunks(request, self.max_bytes + intake.FORM_OVERHEAD)
        try:
            doc, outcome = self._receive(request, booking_id, chunks)
        except ServiceError as exc:
            UPLOADS.labels(exc.code).inc()  # refusals by reason: a spike of one is worth a look
            intake.drain(chunks)
            status = 503 if isinstance(exc, ServiceUnavailable) else 422
            return Response(str(exc), status=status, content_type="application/json")
        UPLOADS.labels(outcome).inc()
        return Response(json.dumps(doc), status=200, content_type="application/json")

    def _receive(self, request, booking_id, chunks):
        clock = Stages()
        grant = self.grants.redeem(request.headers.get("X-Upload-Grant"), booking_id)
        session = self.db.session
        booking = self._open_booking(session, grant["p"], grant["r"])
        principal, booking_id = grant["p"], booking.booking_id
        # Read now: the rollback expires every row it loaded, and each would be read again on first use.
        asked = checklist.doc_types(self.bookings.items(session, booking))
        session.rollback()  # no transaction stays open while the body arrives
        key = idempotency_key(request)
        boundary = request.mimetype_params.get("boundary")
        if request.mimetype != "multipart/form-data" or not boundary:
            raise ValidationError("invalid input", errors={"_schema": ["a multipart/form-data body"]})
        document_id = str(uuid.uuid4())
        object_key = f"{booking_id}/{document_id}"  # never the citizen's file name
        spools = []

        def new_spool():
            spools.append(intake.SealedSpool(self.keyring, object_key, self.spool_memory_bytes, self.spool_dir))
            return spools[-1]

        clock.done("grant")
        try:
            form = intake.read_form(chunks, boundary, self.max_bytes, new_spool)
            clock.done("receive")
            received = self._check_form(form, asked)
            received.seal()
            digest = request_hash({"booking_id": booking_id, "doc_type": form.doc_type, "sha256": received.sha256})
            first = RECORDS.replay(session, principal["user_id"], key, digest)  # the same key again
            current = self._current(session, booking_id, form.doc_type)
            session.rollback()
            if first is not None:
                return first, "replayed"
            if _same(current, current and current.received_sha256, received.sha256):
                return document_view(current), "replayed"  # a retried upload: nothing judged or stored again
            # Judged and sanitised in a worker process with a memory limit (sandbox.py); the harmless form
            # comes back into a new spool, encrypted as it arrives. The upload as received is never stored.
            clean = new_spool()
            clean.content_type = self.sandbox.sanitise(_pieces(received.plaintext()), received.size, clean.write)
            clean.seal()
            clock.done("judge")
            if _same(current, current and current.sha256, clean.sha256):
                return document_view(current), "replayed"  # the file as served, uploaded again
            self.store.put_stream(object_key, clean.blocks(), clean.length)
            clock.done("store")
        finally:
            for spool in spools:
                spool.close()
        checked = {
            "content_type": clean.content_type,
            "size": clean.size,
            "sha256": clean.sha256,
            "received_sha256": received.sha256,
        }
        doc, outcome = self._commit(
            principal, booking_id, form.doc_type, document_id, object_key, clean.key_id, checked, (key, digest)
        )
        clock.done("commit")
        return doc, outcome

    def _check_form(self, form, asked):
        """The form's checks in the order of the single-message upload: size, fields, checklist; the content
        is judged after (``files.judge``)."""
        if form.too_large:
            raise PayloadTooLarge("the file is too large", max_bytes=self.max_bytes)
        errors = dict(form.errors)
        if form.file is None:
            errors["file"] = ["missing"]
        try:
            load(UploadForm(), {} if form.doc_type is None else {"doc_type": form.doc_type})
        except ValidationError as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationError("invalid input", errors=errors)
        if form.doc_type not in asked:
            raise DocTypeNotOnChecklist(
                "this service does not ask for that document", errors={"doc_type": ["not on the checklist"]}
            )
        if not form.file.size:
            raise EmptyFile("the file is empty")  # before anything is written
        return form.file

    def _commit(self, principal, booking_id, doc_type, document_id, object_key, key_id, checked, idempotency):
        """The row, its event and its Idempotency-Key record for an object already written; the object goes
        again if this fails (or a concurrent upload with the same key won), the replaced one only once this
        has committed."""
        replaced_key, (key, digest) = None, idempotency
        try:
            with self.db.transaction() as tx:
                first = RECORDS.replay(tx, principal["user_id"], key, digest, lock=True)
                if first is not None:  # the same key's other request committed while this one was judged
                    self.store.remove_quietly(object_key)
                    return first, "replayed"
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
                    content_type=checked["content_type"],
                    size=checked["size"],
                    sha256=checked["sha256"],
                    received_sha256=checked["received_sha256"],
                    status="uploaded",
                    uploaded_by=principal["user_id"],
                    uploaded_at=utcnow(),
                )
                tx.add(doc)
                self.db.add_event("document_uploaded", events.document_uploaded(doc))
                RECORDS.remember(tx, principal["user_id"], key, digest, document_view(doc))
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

    def purge(self, now):
        """Redeemed grants past their expiry and Idempotency-Key records older than a day go."""
        self.grants.purge(now)
        with self.db.transaction() as tx:
            RECORDS.purge(tx, now - timedelta(days=IDEMPOTENCY_DAYS))

    def _current(self, session, booking_id, doc_type):
        return session.scalars(
            select(Document).where(Document.booking_id == booking_id, Document.doc_type == doc_type)
        ).first()

    def _document_and_booking(self, session, document_id):
        doc = session.get(Document, str(document_id))
        if doc is None:
            raise NotFound("no such document")
        return doc, session.get(Booking, doc.booking_id)

    def download_grant(self, principal, document_id):
        """Step 1 of a download (grants.py), for the file's owner or staff of the office: every read is
        recorded before the file can leave, the ``document_viewed`` event (outbox, committed with nothing
        else) becoming identity's audit entry; then a grant to fetch the file from ``serve``."""
        with self.db.transaction() as session:
            doc, booking = self._document_and_booking(session, document_id)
            access.check_read(principal, booking)
            self.db.add_event("document_viewed", events.document_viewed(doc, booking, principal))
        return {
            **document_view(doc),
            "filename": f"{doc.doc_type}.{files.ACCEPTED[doc.content_type]}",
            "grant": self.download_grants.issue(principal, doc.document_id),
        }

    def serve(self, request, document_id):
        """Step 2, from the gateway with the grant: the file, decrypted. The whole object is read and its tag
        checked before the first byte leaves (AES-GCM releases nothing it has not authenticated); it is at
        most ``DOCUMENTS_MAX_BYTES``. Errors as ``receive``'s: 403/404/503 and a ``ServiceError`` document."""
        try:
            self.download_grants.redeem(request.headers.get("X-Download-Grant"), document_id)
            doc = self.db.session.get(Document, document_id)
            if doc is None:  # deleted since the grant (retention, a new upload of its type)
                raise NotFound("no such document")
            object_key, content_type = doc.object_key, doc.content_type
            self.db.session.rollback()
            plain = self.keyring.decrypt(self.store.get(object_key), object_key)
        except ServiceError as exc:
            status = {"DOWNLOAD_GRANT_INVALID": 403, "NOT_FOUND": 404}.get(exc.code, 503)
            return Response(str(exc), status=status, content_type="application/json")
        return Response(plain, status=200, content_type=content_type)

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
