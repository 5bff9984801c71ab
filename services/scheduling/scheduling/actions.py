"""What each scheduling entrypoint does: the transactions, the cache, and the domain modules they call.

The domain modules (bookings, catalogue, operations, insight, availability) work on a session they are given;
this class opens the transactions (docs/layout.md) and owns the read cache. Every write goes through
``_write``, which commits and only then drops what the write changed from this process's cache, so no
writing path can forget the cache (other replicas drop theirs on the change's event).
"""

import base64
from datetime import date
from zoneinfo import ZoneInfo

from antre_common import qr
from antre_common.envelope import utcnow
from scheduling import availability, bookings, capacity, catalogue, insight, operations
from scheduling.exceptions import ValidationError


class Scheduling:
    def __init__(self, db, settings, cache, now=utcnow):
        self.db = db
        self.settings = settings
        self.cache = cache
        self.now = now

    def _write(self, work):
        """``work(session)`` → ``(result, changed)`` in one transaction; after the commit, the cache drops each
        ``(office_code, dates)`` of ``changed`` (dates None: the whole office)."""
        with self.db.transaction() as session:
            result, changed = work(session)
        for office_code, dates in changed:
            self.cache.invalidate(office_code, dates)
        return result

    # -- catalogue ------------------------------------------------------------------------------------------

    def office(self, code):
        """The office as the cache keeps it (a snapshot with its future closures)."""

        def fetch():
            office = catalogue.get_office(self.db.session, code)
            today = capacity.local_today(self.now(), office.timezone)
            return catalogue.snapshot(office, catalogue.future_closures(self.db.session, office.code, today))

        return self.cache.office(code, fetch)

    def list_offices(self):
        now = self.now()
        offices = self.cache.offices(lambda: catalogue.all_offices(self.db.session))
        return [catalogue.office_summary(o, self.settings, now) for o in offices]

    def get_office(self, code):
        office = self.office(code)
        return catalogue.office_dto(office, self.settings, self.now(), office.closures)

    def list_services(self):
        return self.cache.services(lambda: catalogue.all_services(self.db.session))

    def get_service(self, code):
        return self.cache.service(code, lambda: catalogue.service_dto(catalogue.get_service(self.db.session, code)))

    def availability(self, q):
        now = self.now()
        office = self.office(q["office_code"])
        duration = self.get_service(q["service_code"])["duration_minutes"]
        days = availability.date_range(office.timezone, self.settings, now, q["date_from"], q["date_to"])
        tz = ZoneInfo(office.timezone)

        def load_days(office_code, missing):
            return availability.load_days(self.db.session, office_code, missing, tz)

        found = self.cache.get_days(office.code, days, load_days)
        self.db.close()  # return the connection at once: reads are the hot path
        return availability.view(found, duration, now)

    def update_capacity(self, office_code, changes):
        def work(session):
            kept = catalogue.update_capacity(session, self.db, self.settings, self.now(), office_code, changes)
            return kept, [(office_code, None)]

        kept = self._write(work)
        return dict(self.get_office(office_code), kept_booked_slots=kept)

    def release_slots(self):
        """Open the next day at the public release time; idempotent, safe on every replica."""

        def work(session):
            released = catalogue.release(session, self.db, self.settings, self.now())
            return released, [(office_code, None) for office_code in released]

        return self._write(work)

    # -- bookings -------------------------------------------------------------------------------------------

    def create_booking(self, b):
        args = {"user_id": str(b["user_id"]), "person_ref": b["person_ref"], "slot_id": str(b["slot_id"])}
        service = self.get_service(b["service_code"])

        def work(session):
            result = bookings.idempotent(
                session,
                args["user_id"],
                b["idempotency_key"],
                dict(args, service_code=service["code"]),
                lambda: bookings.create(
                    session, self.db, self.now(), **args, service=service, timezone_of=self._timezone
                ),
            )
            return result, [(result["office_code"], [result["date"]])]

        return bookings.retry_code_collision(lambda: self._write(work))

    def get_booking(self, reservation_code):
        return bookings.dto(self.db.session, bookings.find(self.db.session, reservation_code))

    def list_bookings(self, user_id):
        return bookings.list_for_user(self.db.session, str(user_id))

    def cancel_booking(self, a):
        def work(session):
            result = bookings.cancel(session, self.db, self.settings, self.now(), **_whose(a), reason=a["reason"])
            return result, [(result["office_code"], [result["date"]])]

        return self._write(work)

    def reschedule_booking(self, a):
        def work(session):
            booking = bookings.owned(session, **_whose(a))
            old_date = bookings.dto(session, booking)["date"]
            result = bookings.reschedule(
                session, self.db, self.settings, self.now(), **_whose(a), slot_id=str(a["slot_id"])
            )
            return result, [(result["office_code"], [old_date, result["date"]])]

        return self._write(work)

    def render_qr(self, reservation_code, image_format):
        booking = bookings.find(self.db.session, reservation_code)
        content_type, data = qr.render(booking.reservation_code, image_format)
        return {"content_type": content_type, "data": base64.b64encode(data).decode()}

    def send_reminders(self):
        """Reminders due; also forgets Idempotency-Key records older than a day."""

        def work(session):
            sent = bookings.send_reminders(session, self.db, self.settings, self.now())
            bookings.purge_idempotency(session, self.now())
            return sent, []

        return self._write(work)

    def mark_no_shows(self):
        """Confirmed bookings nobody checked in for, and tickets of earlier days left open (end of day)."""

        def work(session):
            missed = bookings.mark_no_shows(session, self.db, self.settings, self.now())
            closed = operations.close_previous_days(session, self.db, self.now())
            return missed + closed, []

        return self._write(work)

    # -- office operations ----------------------------------------------------------------------------------

    def check_in(self, office_code, reservation_code):
        office = self.office(office_code)
        return self._write(
            lambda session: (operations.check_in(session, self.db, self.now(), office, reservation_code), [])
        )

    def walk_in(self, office_code, v):
        office = self.office(office_code)

        def work(session):
            ticket = operations.walk_in(
                session,
                self.db,
                self.now(),
                office,
                v["service_code"],
                v["priority"],
                staff_id=_str(v["user_id"]),
                idempotency_key=v["idempotency_key"],
            )
            return ticket, []

        return self._write(work)

    def call_next(self, office_code, counter):
        office = self.office(office_code)
        return self._write(lambda session: (operations.call_next(session, self.db, self.now(), office, counter), []))

    def ticket_step(self, r):
        def work(session):
            return operations.step(session, self.db, self.now(), str(r["ticket_id"]), r["action"], r["office_code"]), []

        return self._write(work)

    def office_queue(self, office_code):
        return operations.waiting(self.db.session, self.now(), self.office(office_code))

    def office_board(self, office_code):
        durations = {s["code"]: s["duration_minutes"] for s in self.list_services()}
        return operations.board(self.db.session, self.now(), self.office(office_code), durations)

    def office_forecast(self, office_code, date_from=None, date_to=None):
        office = self.office(office_code)
        with self.db.transaction() as session:
            layout = catalogue.layout_of(session, catalogue.get_office(session, office_code))
            durations = {s["code"]: s["duration_minutes"] for s in self.list_services()}
            return insight.forecast(session, self.now(), office, layout, durations, _date(date_from), _date(date_to))

    def office_stats(self, office_code, date_from=None, date_to=None):
        office = self.office(office_code)
        return insight.stats(self.db.session, self.now(), office, _date(date_from), _date(date_to))

    def _timezone(self, office_code):
        return self.office(office_code).timezone


def _date(value):
    try:
        return None if value in (None, "") else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("invalid date", errors={"date": ["YYYY-MM-DD"]}) from None


def _whose(action):
    """The booking an action names, and whose it must be (None: staff acting for the office)."""
    return {"reservation_code": action["reservation_code"], "user_id": _str(action["user_id"])}


def _str(value):
    return None if value is None else str(value)
