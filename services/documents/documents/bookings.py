"""What documents knows of scheduling's bookings: a local copy learnt from booking events (or asked for when
an event has not arrived yet), enough to check access, build the checklist and start the retention clock."""

import logging
from datetime import datetime

from nameko.exceptions import RemoteError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from antre_common import reservation_code as reservation_code_format
from antre_common.envelope import utcnow
from antre_common.errors import is_not_found, load
from documents.exceptions import NotFound, ServiceUnavailable
from documents.models import Booking, ChecklistItem, Document
from documents.schemas import BookingCreatedData, BookingTransferredData, RequiredDocumentSchema

ENDED = ("cancelled", "completed", "no_show", "expired")  # expired: unpaid at the fee deadline
CONSUMER = "documents"
log = logging.getLogger(__name__)


class Bookings:
    def __init__(self, db, scheduling):
        self.db = db
        self.scheduling = scheduling

    def ask_scheduling(self, method, *args):
        try:
            return getattr(self.scheduling, method)(*args)
        except RemoteError as exc:
            if is_not_found(exc):  # NOT_FOUND, BOOKING_NOT_FOUND, …
                raise NotFound("no such booking") from None
            raise ServiceUnavailable("scheduling failed", service="scheduling") from None

    def required_documents(self, service_code):
        """The service's checklist from scheduling, or None when scheduling cannot answer now."""
        try:
            service = self.ask_scheduling("get_service", service_code)
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
            if required:  # one statement for the whole checklist (not a SELECT and an INSERT per item)
                rows = {
                    item["type"]: {
                        "booking_id": booking.booking_id,
                        "doc_type": item["type"],
                        "name": item["name"],
                        "required": item["required"],
                        "position": position,
                    }
                    for position, item in enumerate(required)
                }  # by type: a type listed twice is one row, the last one (as one merge after another was)
                stmt = pg_insert(ChecklistItem).values(list(rows.values()))
                session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[ChecklistItem.booking_id, ChecklistItem.doc_type],
                        set_={c: stmt.excluded[c] for c in ("name", "required", "position")},
                    )
                )
            booking.checklist_loaded = True
        return booking

    def on_booking_created(self, envelope):
        data = load(BookingCreatedData(), envelope["data"])
        required = self.required_documents(data["service_code"])  # before the transaction: no lock over RPC
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, CONSUMER):
                return
            self.remember_booking(session, data, required)

    def on_booking_ended(self, envelope, status):
        """Cancelled, completed or no-show: the retention clock starts at the event's time."""
        data = envelope["data"]
        ended_at = datetime.fromisoformat(envelope["occurred_at"])
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, CONSUMER):
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

        Codes are stored as scheduling makes them; one typed another way ("k7qd-m2xp") is normalised first."""
        reservation_code = reservation_code_format.normalise(reservation_code)
        if reservation_code is None:
            raise NotFound("no such booking")
        booking = session.scalars(select(Booking).where(Booking.reservation_code == reservation_code)).first()
        if booking is not None and booking.checklist_loaded:
            return booking
        if booking is None:
            data = load(BookingCreatedData(), self.ask_scheduling("get_booking", reservation_code))
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

    def items(self, session, booking):
        return session.scalars(select(ChecklistItem).where(ChecklistItem.booking_id == booking.booking_id)).all()

    def documents(self, session, booking):
        return session.scalars(select(Document).where(Document.booking_id == booking.booking_id)).all()

    def on_booking_transferred(self, envelope):
        """A dependent's own account took over the booking: its documents are theirs to see from now on.

        A booking not known yet is learnt now from scheduling, whose answer names the new owner: were it left
        to ``booking_created`` (which may arrive after this), the copy would name the holder for good."""
        data = load(BookingTransferredData(), envelope["data"])
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, CONSUMER):
                return
            moved = session.execute(
                update(Booking).where(Booking.booking_id == data["booking_id"]).values(user_id=data["user_id"])
            ).rowcount
        if not moved:
            try:
                self.booking(self.db.session, data["reservation_code"])
            except (NotFound, ServiceUnavailable):
                log.warning("transferred booking not learnt", extra={"booking_id": str(data["booking_id"])})

    def on_booking_rescheduled(self, envelope):
        """The visit moved: the day after which documents asks whether it ended moves with it."""
        data = envelope["data"]
        new_date = (data.get("new_slot") or {}).get("date")
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, CONSUMER) or not new_date:
                return
            session.execute(
                update(Booking)
                .where(Booking.booking_id == str(data.get("booking_id")), Booking.ended_at.is_(None))
                .values(visit_date=str(new_date))
            )
