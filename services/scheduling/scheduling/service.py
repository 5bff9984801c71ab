"""Scheduling service entrypoints. Domain rules live beside this file, not here."""

import base64
import logging
from datetime import date
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from nameko.events import BROADCAST, event_handler
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from antre_common.db import Database, DbHandle
from antre_common.envelope import utcnow
from antre_common.errors import load
from antre_common.health import ServiceBase
from antre_common.rpc import rpc
from scheduling import availability, bookings, capacity, catalogue, insight, operations, qr, schemas
from scheduling.exceptions import ValidationError
from scheduling.models import OutboxEvent, ProcessedEvent
from scheduling.rules import Settings

log = logging.getLogger(__name__)
AVAILABILITY_QUERY = schemas.AvailabilityQuery()  # built once: the read path is the hot one


class SchedulingRuntime(DependencyProvider):
    """Settings, and the catalogue loaded from the data file when the process starts (readiness waits)."""

    readiness_name = "catalogue"

    def setup(self):
        self.settings = Settings.from_config(self.container.config)
        self.loaded = self.released = False

    def start(self):
        db = next(ext for ext in self.container.extensions if isinstance(ext, Database))
        with db.sessionmaker() as session, session.begin():
            offices, services = catalogue.load(session)
        self.loaded = True
        # The first release happens here, not in the eager timer, so it cannot run before the load.
        handle = DbHandle(db, SimpleNamespace(context_data={}))
        try:
            with handle.transaction() as session:
                catalogue.release(session, handle, self.settings, utcnow())
        finally:
            handle.close()
        self.released = True
        log.info("catalogue loaded", extra={"offices": offices, "services": services})

    def ready(self):
        if not (self.loaded and self.released):
            raise RuntimeError("catalogue not loaded or first release not done yet")

    def get_dependency(self, worker_ctx):
        return self


class SchedulingService(ServiceBase):
    name = "scheduling"

    db = Database(OutboxEvent, ProcessedEvent)
    runtime = SchedulingRuntime()
    cache = availability.AvailabilityCache()

    @property
    def settings(self):
        return self.runtime.settings

    # -- catalogue ------------------------------------------------------------------------------------------

    @rpc
    def list_offices(self):
        now = utcnow()
        offices = self.cache.lookup("offices", "*", lambda: catalogue.all_offices(self.db.session))
        return [catalogue.office_summary(o, self.settings, now) for o in offices]

    @rpc
    def get_office(self, code):
        office = self._office(code)
        return catalogue.office_dto(office, self.settings, utcnow(), office.closures)

    @rpc
    def list_services(self):
        return self.cache.lookup("services", "*", lambda: catalogue.all_services(self.db.session))

    @rpc
    def get_service(self, code):
        return self.cache.lookup(
            "service", code, lambda: catalogue.service_dto(catalogue.get_service(self.db.session, code))
        )

    @rpc
    def get_availability(self, query):
        q = load(AVAILABILITY_QUERY, query)
        now = utcnow()
        office = self._office(q["office_code"])
        duration = self.get_service(q["service_code"])["duration_minutes"]
        days = availability.date_range(office.timezone, self.settings, now, q["date_from"], q["date_to"])
        tz = ZoneInfo(office.timezone)

        def load_days(office_code, missing):
            return availability.load_days(self.db.session, office_code, missing, tz)

        found = self.cache.get_days(office.code, days, load_days)
        self.db.close()  # return the connection at once: reads are the hot path
        return availability.view(found, duration, now)

    @rpc
    def update_capacity(self, office_code, changes):
        changes = load(schemas.CapacityChange(), changes)
        with self.db.transaction() as session:
            kept = catalogue.update_capacity(session, self.db, self.settings, utcnow(), office_code, changes)
        self.cache.invalidate(office_code)
        return dict(self.get_office(office_code), kept_booked_slots=kept)

    # -- bookings -------------------------------------------------------------------------------------------

    @rpc
    def create_booking(self, booking):
        b = load(schemas.NewBooking(), booking)
        args = {
            "user_id": str(b["user_id"]),
            "person_ref": b["person_ref"],
            "slot_id": str(b["slot_id"]),
        }
        service = self.get_service(b["service_code"])

        def attempt():
            with self.db.transaction() as session:
                return bookings.idempotent(
                    session,
                    args["user_id"],
                    b["idempotency_key"],
                    dict(args, service_code=service["code"]),
                    lambda: bookings.create(
                        session, self.db, utcnow(), **args, service=service, timezone_of=self._timezone
                    ),
                )

        result = bookings.retry_code_collision(attempt)
        self.cache.invalidate(result["office_code"], [result["date"]])
        return result

    @rpc
    def get_booking(self, reservation_code):
        return bookings.dto(self.db.session, bookings.find(self.db.session, reservation_code))

    @rpc
    def list_bookings(self, user_id):
        return bookings.list_for_user(self.db.session, str(user_id))

    @rpc
    def cancel_booking(self, action):
        a = load(schemas.Cancel(), action)
        with self.db.transaction() as session:
            result = bookings.cancel(
                session,
                self.db,
                self.settings,
                utcnow(),
                reservation_code=a["reservation_code"],
                user_id=_str(a["user_id"]),
                reason=a["reason"],
            )
        self.cache.invalidate(result["office_code"], [result["date"]])
        return result

    @rpc
    def reschedule_booking(self, action):
        a = load(schemas.Reschedule(), action)
        with self.db.transaction() as session:
            booking = bookings.owned(session, a["reservation_code"], _str(a["user_id"]))
            old_date = bookings.dto(session, booking)["date"]
            result = bookings.reschedule(
                session,
                self.db,
                self.settings,
                utcnow(),
                reservation_code=a["reservation_code"],
                user_id=_str(a["user_id"]),
                slot_id=str(a["slot_id"]),
            )
        self.cache.invalidate(result["office_code"], [old_date, result["date"]])
        return result

    @rpc
    def render_qr(self, reservation_code, image_format="png"):
        """The QR image of a booking's code, base64 (RPC bodies are JSON)."""
        booking = bookings.find(self.db.session, reservation_code)
        content_type, data = qr.render(booking.reservation_code, image_format)
        return {"content_type": content_type, "data": base64.b64encode(data).decode()}

    # -- office operations (staff; the gateway checks the caller works at the office) ----------------------

    @rpc
    def check_in(self, office_code, reservation_code):
        with self.db.transaction() as session:
            return operations.check_in(session, self.db, utcnow(), self._office(office_code), reservation_code)

    @rpc
    def walk_in(self, office_code, visitor):
        v = load(schemas.WalkIn(), visitor)
        with self.db.transaction() as session:
            return operations.walk_in(
                session,
                self.db,
                utcnow(),
                self._office(office_code),
                v["service_code"],
                v["priority"],
                staff_id=_str(v["user_id"]),
                idempotency_key=v["idempotency_key"],
            )

    @rpc
    def call_next(self, office_code, counter):
        with self.db.transaction() as session:
            return operations.call_next(session, self.db, utcnow(), self._office(office_code), counter)

    @rpc
    def ticket_step(self, request):
        r = load(schemas.TicketStep(), request)
        with self.db.transaction() as session:
            return operations.step(session, self.db, utcnow(), str(r["ticket_id"]), r["action"], r["office_code"])

    @rpc
    def office_queue(self, office_code):
        return operations.waiting(self.db.session, utcnow(), self._office(office_code))

    @rpc
    def office_board(self, office_code):
        durations = {s["code"]: s["duration_minutes"] for s in self.list_services()}
        return operations.board(self.db.session, utcnow(), self._office(office_code), durations)

    @rpc
    def office_forecast(self, office_code, date_from=None, date_to=None):
        office = self._office(office_code)
        with self.db.transaction() as session:
            layout = catalogue.layout_of(session, catalogue.get_office(session, office_code))
            durations = {s["code"]: s["duration_minutes"] for s in self.list_services()}
            return insight.forecast(session, utcnow(), office, layout, durations, _date(date_from), _date(date_to))

    @rpc
    def office_stats(self, office_code, date_from=None, date_to=None):
        office = self._office(office_code)
        return insight.stats(self.db.session, utcnow(), office, _date(date_from), _date(date_to))

    # -- timers and cache coherence -------------------------------------------------------------------------

    @timer(interval=30)
    def release_slots(self):
        """Open the next day at the public release time; idempotent, safe on every replica."""
        with self.db.transaction() as session:
            released = catalogue.release(session, self.db, self.settings, utcnow())
        for office_code in released:
            self.cache.invalidate(office_code)
        return released

    @timer(interval=60)
    def send_reminders(self):
        """Reminders due; also forgets Idempotency-Key records older than a day."""
        with self.db.transaction() as session:
            sent = bookings.send_reminders(session, self.db, self.settings, utcnow())
            bookings.purge_idempotency(session, utcnow())
        return sent

    @timer(interval=60)
    def mark_no_shows(self):
        """Confirmed bookings nobody checked in for, and tickets of earlier days left open (end of day)."""
        with self.db.transaction() as session:
            missed = bookings.mark_no_shows(session, self.db, self.settings, utcnow())
            closed = operations.close_previous_days(session, self.db, utcnow())
        return missed + closed

    # Every replica drops its cached days when seats change anywhere (broadcast: one queue per process).
    @event_handler("scheduling", "availability_changed", handler_type=BROADCAST, reliable_delivery=False)
    def on_availability_changed(self, envelope):
        data = envelope["data"]
        self.cache.invalidate(data["office_code"], data["dates"])

    @event_handler("scheduling", "booking_created", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_created(self, envelope):
        self.cache.invalidate(envelope["data"]["office_code"], [envelope["data"]["date"]])

    @event_handler("scheduling", "booking_cancelled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_cancelled(self, envelope):
        self.cache.invalidate(envelope["data"]["office_code"], [envelope["data"]["date"]])

    @event_handler("scheduling", "booking_rescheduled", handler_type=BROADCAST, reliable_delivery=False)
    def on_booking_rescheduled(self, envelope):
        data = envelope["data"]
        self.cache.invalidate(data["office_code"], [data["old_slot"]["date"], data["new_slot"]["date"]])

    def _timezone(self, office_code):
        return self._office(office_code).timezone

    def _office(self, code):
        def fetch():
            office = catalogue.get_office(self.db.session, code)
            today = capacity.local_today(utcnow(), office.timezone)
            return catalogue.snapshot(office, catalogue.future_closures(self.db.session, office.code, today))

        return self.cache.lookup("office", code, fetch)


def _date(value):
    try:
        return None if value in (None, "") else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("invalid date", errors={"date": ["YYYY-MM-DD"]}) from None


def _str(value):
    return None if value is None else str(value)
