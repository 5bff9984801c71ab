"""Citizens using the suite while a part of it is broken, and what must hold once it has healed.

Each citizen books a seat, uploads a document for half of the bookings and cancels a third, through the
gateway, as the web app does: every write carries an ``Idempotency-Key`` and is retried on 503 and 429 (after
their ``Retry-After``) and on a dropped connection, until it gets an answer or gives up after ``patience``.
"""

import json
import threading
import time
import uuid
from collections import Counter

import requests
from kombu import Connection
from sqlalchemy import text

from documents import samples

from ..system.tokens import bearer, citizen

RETRIED = {429, 503}


class Crowd:
    def __init__(self, stack, office, service, clients=3, patience=120):
        self.stack, self.office, self.service = stack, office, service
        self.base = stack.config.gateway_url
        self.clients, self.patience = clients, patience
        self.statuses = Counter()
        self.gave_up = []
        self.unexpected = []
        self.booked = {}  # booking_id -> {"user_id", "cancelled"}
        self.uploaded = {}  # booking_id -> document_id
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()

    # -- driving -------------------------------------------------------------------------------------------

    def __enter__(self):
        for _ in range(self.clients):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(self.patience + 30)

    def wait_for_bookings(self, more, timeout=120):
        """Let the crowd make ``more`` bookings from now (proof that the suite serves again)."""
        target, deadline = len(self.booked) + more, time.monotonic() + timeout
        while len(self.booked) < target:
            assert time.monotonic() < deadline, f"the crowd made {len(self.booked)} of {target} bookings"
            time.sleep(0.2)

    def _run(self):
        session = requests.Session()
        n = 0
        while not self._stop.is_set():
            n += 1
            try:
                self._one_citizen(session, n)
            except Exception as exc:  # noqa: BLE001 - recorded and asserted on, never lost in a thread
                with self._lock:
                    self.unexpected.append(f"{type(exc).__name__}: {exc}")

    def call(self, session, method, path, **kwargs):
        deadline = time.monotonic() + self.patience
        while True:
            try:
                response = session.request(method, self.base + path, timeout=15, **kwargs)
            except requests.RequestException:
                response = None  # the gateway is down or dropped us: try again, like a phone would
            if response is not None:
                with self._lock:
                    self.statuses[response.status_code] += 1
                if response.status_code not in RETRIED:
                    return response
            if time.monotonic() > deadline:
                with self._lock:
                    self.gave_up.append(f"{method} {path}")
                return response
            wait = float(response.headers.get("Retry-After", 1)) if response is not None else 0.5
            time.sleep(min(wait, 2))

    def _one_citizen(self, session, n):
        person = citizen()
        auth = bearer(self.stack, person)
        slots = self.call(session, "GET", f"/api/v1/offices/{self.office}/availability",
                          params={"service": self.service})  # fmt: skip
        if slots is None or slots.status_code != 200:
            return
        free = [s for s in slots.json() if s["remaining"] > 0]
        if not free:
            return
        slot = free[n % len(free)]
        body = {"slot_id": slot["slot_id"], "service_code": self.service}
        created = self.call(session, "POST", "/api/v1/bookings", json=body,
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
        if created is None:
            return
        if created.status_code != 201:
            if created.status_code != 409:  # a seat taken by another citizen meanwhile is a fair answer
                self.unexpected.append(f"booking answered {created.status_code}: {created.text[:200]}")
            return
        booking = created.json()
        with self._lock:
            self.booked[booking["booking_id"]] = {"user_id": person["sub"], "cancelled": False}
        code = booking["reservation_code"]
        if n % 2 == 0:
            self._upload(session, auth, booking["booking_id"], code)
        if n % 3 == 0:
            cancelled = self.call(session, "POST", f"/api/v1/bookings/{code}/cancel",
                                  headers={**auth, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            if cancelled is not None and cancelled.status_code == 200:
                with self._lock:
                    self.booked[booking["booking_id"]]["cancelled"] = True
            elif cancelled is not None:
                self.unexpected.append(f"cancel answered {cancelled.status_code}: {cancelled.text[:200]}")

    def _upload(self, session, auth, booking_id, code):
        """The checklist appears when documents has consumed the booking's event; until then the upload is
        refused with a 404, which the web app also retries."""
        deadline = time.monotonic() + self.patience
        while True:
            scan = {"file": ("ktp.pdf", samples.pdf(3000), "application/pdf")}
            response = self.call(session, "POST", f"/api/v1/bookings/{code}/documents", data={"doc_type": "ktp"},
                                 files=scan, headers={**auth, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            if response is None:
                return
            if response.status_code == 201:
                with self._lock:
                    self.uploaded[booking_id] = response.json()["document_id"]
                return
            if response.status_code != 404 or time.monotonic() > deadline:
                self.unexpected.append(f"upload answered {response.status_code}: {response.text[:200]}")
                return
            time.sleep(0.5)

    # -- what must hold --------------------------------------------------------------------------------------

    def check(self, scheduling_db, ministry, say):
        """Every invariant, each with what it found; ``say`` prints it (pytest -s shows the report)."""
        server_errors = {s: n for s, n in self.statuses.items() if s >= 500 and s != 503}
        say(f"answers: {dict(sorted(self.statuses.items()))}; bookings {len(self.booked)}, "
            f"cancelled {sum(b['cancelled'] for b in self.booked.values())}, uploads {len(self.uploaded)}")  # fmt: skip
        assert not server_errors, f"5xx other than 503 while a part was down: {server_errors}"
        assert not self.gave_up, f"requests still unanswered after {self.patience} s: {self.gave_up[:5]}"
        assert not self.unexpected, self.unexpected[:5]
        assert self.booked, "the crowd booked nothing"

        users = sorted({b["user_id"] for b in self.booked.values()})
        with scheduling_db.connect() as db:
            rows = db.execute(text("SELECT id::text, status FROM booking WHERE user_id::text = ANY(:u)"),
                              {"u": users}).all()  # fmt: skip
            wrong_counts = db.execute(text("""
                SELECT s.id, s.booked_count, count(b.id) FROM slot s
                LEFT JOIN booking b ON b.slot_id = s.id AND b.status NOT IN ('cancelled', 'expired')
                WHERE s.office_code = :o GROUP BY s.id HAVING s.booked_count <> count(b.id)
                   OR s.booked_minutes > s.capacity_minutes"""), {"o": self.office}).all()  # fmt: skip
        in_db = {r.id: r.status for r in rows}
        say(f"database: {len(in_db)} bookings of the crowd, {len(wrong_counts)} slots whose count is off")
        assert not wrong_counts, f"slot counts differ from their bookings (or overbooked): {wrong_counts[:5]}"
        assert set(in_db) == set(self.booked), (
            f"answered 201 but missing: {set(self.booked) - set(in_db)}; "
            f"exists but never answered: {set(in_db) - set(self.booked)}"
        )
        cancelled = {b for b, v in self.booked.items() if v["cancelled"]}
        assert {b for b, s in in_db.items() if s == "cancelled"} == cancelled

        events = self.integration_events(ministry, want=len(in_db) + len(cancelled))
        events = [e for e in events if e["data"].get("booking_id") in self.booked]  # not others' bookings
        created = Counter(e["data"]["booking_id"] for e in events if e["type"].endswith("booking.created.v1"))
        gone = Counter(e["data"]["booking_id"] for e in events if e["type"].endswith("booking.cancelled.v1"))
        repeats = len(events) - len({e["id"] for e in events})
        say(f"ministry queue: {len(events)} deliveries, {repeats} of them repeats of an event already delivered")
        assert set(created) == set(in_db), f"booking.created lost for {set(in_db) - set(created)}"
        assert set(gone) == cancelled, f"booking.cancelled lost for {cancelled - set(gone)}"
        # Exactly one event per change. A repeated delivery of the same event (same id: a relay killed between
        # the broker's confirm and its own commit) is what at-least-once allows and a consumer drops by id.
        for kind in ("created", "cancelled"):
            distinct = Counter(e["data"]["booking_id"] for e in {e["id"]: e for e in events}.values()
                               if e["type"].endswith(f"booking.{kind}.v1"))  # fmt: skip
            assert all(n == 1 for n in distinct.values()), f"two different booking.{kind} events: {distinct}"

    def integration_events(self, queue, want, timeout=60):
        """What the ministry's queue holds, until ``want`` distinct events have arrived."""
        found, deadline = [], time.monotonic() + timeout
        with Connection(self.stack.config.service_amqp_uri) as conn:
            bound = queue(conn.channel())
            while len({e["id"] for e in found if e["data"].get("booking_id") in self.booked}) < want:
                if time.monotonic() > deadline:
                    break
                message = bound.get(no_ack=True)
                if message is None:
                    time.sleep(0.1)
                    continue
                found.append(json.loads(message.body))
            while (message := bound.get(no_ack=True)) is not None:  # repeats already queued behind them
                found.append(json.loads(message.body))
        return found
