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
from scheduling import (
    availability,
    bookings,
    capacity,
    catalogue,
    cooldown,
    disruptions,
    floor,
    insight,
    operations,
    payments,
    releases,
)
from scheduling.exceptions import IdentityNotConfirmed, ValidationError


class Scheduling:
    def __init__(self, db, settings, cache, now=utcnow, payment=None):
        self.db = db
        self.settings = settings
        self.cache = cache
        self.now = now
        self.payment = payment  # payment's RPC proxy: bills of services with a fee (payments.py)

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
            snap = catalogue.snapshot(office, catalogue.future_closures(self.db.session, office.code, today))
            snap.extra_until = releases.extra_until(self.db.session, office.code, self.now())
            return snap

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
        days = availability.date_range(
            office.timezone, self.settings, now, q["date_from"], q["date_to"], getattr(office, "extra_until", None)
        )
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
            now = self.now()
            released = catalogue.release(session, self.db, self.settings, now)
            releases.plan_daily(session, self.settings, now)
            released.update(releases.open_due(session, self.db, now))
            return released, [(office_code, None) for office_code in released]

        return self._write(work)

    # -- bookings -------------------------------------------------------------------------------------------

    def create_booking(self, b):
        args = {"user_id": str(b["user_id"]), "person_ref": b["person_ref"], "slot_id": str(b["slot_id"]),
                "priority": b["priority"], "person_id": str(b.get("person_id") or b["user_id"])}  # fmt: skip
        service = self.get_service(b["service_code"])
        bill = payments.bill_for(self.db.session, self.payment, service, args["user_id"], args["slot_id"])

        def work(session):
            result = bookings.idempotent(
                session,
                args["user_id"],
                b["idempotency_key"],
                dict(args, service_code=service["code"]),
                lambda: self._book(session, args, service, b.get("admission"), bill),
            )
            return result, [(result["office_code"], [result["date"]])]

        return bookings.retry_code_collision(lambda: self._write(work))

    def _book(self, session, args, service, admission, bill):
        """A new booking: not in a cooldown, with an admission while its release has people waiting; ``bill``:
        the service has a fee (payments.bill_for), the booking awaits its payment."""
        now = self.now()
        cooldown.check(session, self.settings, now, args["person_ref"])
        place = releases.check_admission(session, self.settings, now, args["slot_id"], args["user_id"], admission)
        result = bookings.create(
            session, self.db, now, **args, service=service, timezone_of=self._timezone,
            booking_id=bill and bill["booking_id"], bill=bill,
        )  # fmt: skip
        releases.mark_booked(session, place, result["booking_id"])
        return result

    def dependent_registered(self, data, envelope):
        """identity: a dependent has their own account now; their future bookings become theirs (once per event)."""
        with self.db.transaction() as session:
            if self.db.first_delivery(envelope, "scheduling.dependent_registered"):
                bookings.hand_over(
                    session, self.db, self.now(), person_id=str(data["person_id"]), holder_id=str(data["holder_id"])
                )

    def get_booking(self, reservation_code):
        return self._with_ticket(bookings.dto(self.db.session, bookings.find(self.db.session, reservation_code)))

    def list_bookings(self, user_id):
        return [self._with_ticket(view) for view in bookings.list_for_user(self.db.session, str(user_id))]

    def _with_ticket(self, view):
        """A checked-in booking shows its ticket: number, status, place in the queue, expected wait."""
        if view["status"] in ("checked_in", "called", "serving"):
            ticket = floor.ticket_of(self.db.session, view["booking_id"])
            if ticket is not None:
                office = self.office(view["office_code"])
                view["ticket"] = floor.ticket_view(self.db.session, self.now(), office, ticket, self._durations())
        return view

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

    def check_in(self, office_code, c):
        """Only once the officer confirmed the KTP matches the holder (``identity_confirmed``); audited."""
        if not c["identity_confirmed"]:
            raise IdentityNotConfirmed("compare the KTP with the booking's holder first")
        office = self.office(office_code)

        def work(session):
            ticket = operations.check_in(
                session, self.db, self.now(), office, c["reservation_code"], priority=c["priority"],
                actor_id=_str(c["user_id"]), guard=self._quota_guard(session, office),
            )  # fmt: skip
            return ticket, []

        return self._write(work)

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
                guard=self._quota_guard(session, office),
            )
            return ticket, []

        return self._write(work)

    def call_next(self, office_code, counter):
        office = self.office(office_code)
        k = self.settings.priority_every_k
        return self._write(lambda session: (operations.call_next(session, self.db, self.now(), office, counter, k), []))

    def ticket_step(self, r):
        def work(session):
            return operations.step(session, self.db, self.now(), str(r["ticket_id"]), r["action"], r["office_code"]), []

        return self._write(work)

    def _durations(self):
        return {s["code"]: s["duration_minutes"] for s in self.list_services()}

    def _quota_guard(self, session, office):
        """Checks a new ticket against the day's walk-in and priority shares (under the office lock)."""
        layout = catalogue.layout_of(session, catalogue.get_office(session, office.code))
        durations = self._durations()

        def guard(day, *, kind, priority, service_code):
            minutes = durations.get(service_code, floor.DEFAULT_SERVICE_MINUTES)
            floor.enforce_quotas(session, office, layout, day, self.settings, walk_in=kind == "walk_in",
                                 priority=bool(priority), minutes=minutes)  # fmt: skip

        return guard

    def ticket_move(self, m):
        """recall / transfer / requeue of a ticket of the staff's office; audited; with an Idempotency-Key
        (per officer) a retried request gets the first answer instead of a second recall."""
        actor = _str(m["user_id"])

        def work(session):
            ticket = floor.ticket_for_move(session, str(m["ticket_id"]), m["office_code"])
            office = self.office(ticket.office_code)

            def move():
                now = self.now()
                if m["action"] == "recall":
                    booking = floor.recall(session, self.db, now, ticket, actor)
                elif m["action"] == "transfer":
                    booking = floor.transfer(session, self.db, now, office, ticket, actor, counter=m["counter"],
                                             service_code=m["service_code"])  # fmt: skip
                else:
                    booking = floor.requeue(session, self.db, now, office, ticket, actor)
                return operations.ticket_dto(ticket, booking.reservation_code if booking else None)

            if actor is None or m["idempotency_key"] is None:
                return move(), []
            payload = {k: _str(m[k]) for k in ("action", "ticket_id", "counter", "service_code")}
            return bookings.idempotent(session, actor, m["idempotency_key"], payload, move), []

        return self._write(work)

    def office_bookings(self, q, people):
        """The day's bookings with their holder (``people``: identity's RPC), priority (declared, or lansia
        from the birth date) and ticket, for the officer who checks them in."""
        office = self.office(q["office_code"])
        day = q["date"] or capacity.local_today(self.now(), office.timezone)
        with self.db.transaction() as session:
            rows = [(bookings.booking_dto(b, office.timezone), t) for b, t in floor.day_bookings(session, office, day)]
            rows = [(view, t and operations.ticket_dto(t, view["reservation_code"])) for view, t in rows]
        holders = people(sorted({view["user_id"] for view, _ in rows})) if rows else {}
        out = []
        for view, ticket in rows:
            holder = holders.get(view["user_id"])
            priority = floor.derived_priority(view["priority"], holder, day, self.settings.elderly_age)
            out.append(dict(view, holder=holder, declared_priority=view["priority"], priority=priority, ticket=ticket))
        return out

    def office_quotas(self, q):
        office = self.office(q["office_code"])
        day = q["date"] or capacity.local_today(self.now(), office.timezone)
        with self.db.transaction() as session:
            layout = catalogue.layout_of(session, catalogue.get_office(session, office.code))
            return floor.quotas(session, office, layout, day, self.settings)

    def declare_disruption(self, office_code, d):
        def work(session):
            result, dates = disruptions.declare(session, self.db, self.now(), office_code, d["starts_at"],
                                                d["ends_at"], d["reason"], _str(d["user_id"]))  # fmt: skip
            return result, [(office_code, dates)] if dates else []

        return self._write(work)

    def list_disruptions(self, office_code=None):
        if office_code is not None:
            self.office(office_code)  # an office the catalogue lacks: OFFICE_NOT_FOUND, not an empty list
        return disruptions.current(self.db.session, self.now(), office_code)

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
            return insight.forecast(
                session, self.now(), office, layout, durations, _date(date_from), _date(date_to), self.settings
            )

    def office_stats(self, office_code, date_from=None, date_to=None, fmt=None):
        """Per day; ``fmt="csv"``: the same as CSV text (office-local dates, no personal data)."""
        office = self.office(office_code)
        rows = insight.stats(self.db.session, self.now(), office, _date(date_from), _date(date_to))
        return insight.stats_csv(rows, office.timezone) if fmt == "csv" else rows

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
