"""Bills: made for a booking, paid by the channel's notification, expired at the deadline, refunded.

One judge per bill. Every change of a bill happens under its row lock (``SELECT … FOR UPDATE``), so a
notification and the deadline sweep that reach one bill at the same moment are put in order by PostgreSQL:
either the payment came first (the bill is paid, ``payment_received`` confirms the booking) or the deadline
did (the bill expired, ``bill_expired`` returns the seat, and a payment arriving later is recorded and
refunded). The notification itself judges the deadline too, so a payment after it is refunded even when the
sweep has not run yet. Each outcome and its events are one transaction (the outbox), so a process killed at
any point leaves either all of it or none of it, and the channel's retry finds the same answer.

Money is never lost nor counted twice: a payment is recorded once per channel transaction id (primary key),
applied to at most one bill, and every payment that does not pay a pending bill in time is refunded, once
(``refund.transaction_id`` is unique).
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from antre_common.envelope import utcnow
from antre_common.errors import load
from payment import channel, codes, events, reconcile
from payment.exceptions import (
    AlreadyRefunded,
    BillNotFound,
    BillNotPaid,
    PaymentAmountMismatch,
    PaymentTransactionConflict,
)
from payment.models import Bill, ChannelOutage, Payment, Reconciliation, Refund
from payment.schemas import BookingData, Inquiry, Notification

CODE_ATTEMPTS = 5
SWEEP_BATCH = 200


def effective_deadline(expires_at, outages, grace):
    """The deadline once channel outages are counted: one that falls inside an outage moves to the outage's
    end plus ``grace`` (and again if that lands in a later outage); None while an outage that covers it lasts.
    ``outages``: ``(started_at, ended_at or None)`` pairs, any order."""
    deadline = expires_at
    for started, ended in sorted(outages, key=lambda o: o[0]):
        if started <= deadline and (ended is None or ended >= deadline):
            if ended is None:
                return None
            deadline = max(deadline, ended + grace)
    return deadline


def dto(bill):
    return {
        "booking_id": bill.booking_id,
        "billing_code": bill.billing_code,
        "amount": bill.amount,
        "currency": bill.currency,
        "status": bill.status,
        "expires_at": bill.expires_at.isoformat(),
        "receipt_number": bill.receipt_number,
        "paid_at": bill.paid_at.isoformat() if bill.paid_at else None,
    }


class Bills:
    def __init__(self, db, settings, fees, ring, now=utcnow):
        self.db = db
        self.settings = settings
        self.fees = fees
        self.ring = ring
        self.now = now

    # -- making and reading bills -----------------------------------------------------------------------------

    def create(self, args):
        """Idempotent on the booking id: scheduling may ask again (a retry) and gets the same bill."""
        fee = self.fees.of(args["service_code"])
        now = self.now()
        expires_at = now + timedelta(seconds=fee.hold_seconds or self.settings.hold_seconds)
        if args.get("not_after") is not None:
            expires_at = min(expires_at, args["not_after"])  # never held past the slot's start
        booking_id = str(args["booking_id"])
        for _ in range(CODE_ATTEMPTS):
            with self.db.transaction() as session:
                bill = session.scalar(select(Bill).where(Bill.booking_id == booking_id))
                if bill is None:
                    values = {
                        "id": str(uuid.uuid4()),
                        "billing_code": codes.new_billing_code(),
                        "booking_id": booking_id,
                        "user_id": str(args["user_id"]),
                        "service_code": fee.service_code,
                        "office_code": args["office_code"],
                        "tariff": fee.tariff,
                        "amount": fee.amount,
                        "currency": fee.currency,
                        "status": "pending",
                        "expires_at": expires_at,
                        "created_at": now,
                        "updated_at": now,
                    }
                    # Nothing on a collision (same booking raced in, or the random code exists): try again.
                    if session.execute(insert(Bill).values(**values).on_conflict_do_nothing()).rowcount:
                        bill = session.get(Bill, values["id"])
            if bill is not None:
                return dto(bill)
        raise RuntimeError("no free billing code after several attempts")

    def get(self, booking_id):
        bill = self.db.session.scalar(select(Bill).where(Bill.booking_id == str(booking_id)))
        if bill is None:
            raise BillNotFound("this booking has no bill")
        return dto(bill)

    def fee_table(self):
        return {"source": self.fees.source, "fees": self.fees.public()}

    # -- the channel --------------------------------------------------------------------------------------------

    def inquiry(self, body, signature):
        """What the channel shows the payer before taking money: amount and state, nothing personal."""
        doc = load(
            Inquiry(), channel.read(self.ring, body, signature, self.now(), self.settings.timestamp_window_seconds)
        )
        bill = self._by_code(self.db.session, doc["billing_code"])
        return {
            k: v for k, v in dto(bill).items() if k in ("billing_code", "amount", "currency", "status", "expires_at")
        }

    def notify(self, body, signature):
        """The channel's payment notification. ``outcome``: applied, refunded (late or duplicate payment, recorded
        and given back), or repeated (this transaction was notified before: nothing changes)."""
        now = self.now()
        raw = channel.read(self.ring, body, signature, now, self.settings.timestamp_window_seconds)
        n = load(Notification(), raw)
        with self.db.transaction() as session:
            bill = self._by_code(session, n["billing_code"], lock=True)
            seen = session.get(Payment, n["transaction_id"])
            if seen is not None:
                if seen.bill_id != bill.id or seen.amount != n["amount"]:
                    raise PaymentTransactionConflict("this transaction was notified for another bill or amount")
                return {"outcome": "repeated", "bill": dto(bill)}
            if n["amount"] != bill.amount:
                raise PaymentAmountMismatch("a bill is paid in full, exactly", expected=bill.amount, got=n["amount"])
            payment = Payment(
                transaction_id=n["transaction_id"],
                bill_id=bill.id,
                amount=n["amount"],
                paid_at=n["paid_at"],
                received_at=now,
                outcome="applied",
            )
            session.add(payment)
            if bill.status == "pending" and not self._overdue(session, bill, now):
                bill.status, bill.paid_at = "paid", n["paid_at"]
                bill.receipt_number = codes.new_receipt_number(n["paid_at"])
                bill.updated_at = now
                session.flush()
                events.emit(
                    self.db,
                    "payment_received",
                    events.payment_received(bill),
                    events.payment_received_integration(bill),
                )
                return {"outcome": "applied", "bill": dto(bill)}
            if bill.status == "pending":
                self._expire(session, bill, now, "deadline")
            reason = {"expired": "bill_expired", "paid": "duplicate_payment"}.get(bill.status, "bill_refunded")
            self._refund(session, bill, payment, reason, now, closes=bill.status == "expired")
            return {"outcome": "refunded", "bill": dto(bill)}

    # -- deadlines ----------------------------------------------------------------------------------------------

    def sweep(self):
        """Expire what is overdue (or extend it past a channel outage) and remind what is due soon."""
        now = self.now()
        expired = extended = reminded = 0
        with self.db.transaction() as session:
            due = session.scalars(
                select(Bill)
                .where(Bill.status == "pending", Bill.expires_at <= now)
                .order_by(Bill.expires_at)
                .limit(SWEEP_BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            outages = self._outages(session, min(b.expires_at for b in due)) if due else []
            for bill in due:
                deadline = effective_deadline(bill.expires_at, outages, self._grace)
                if deadline is None:
                    continue  # the channel is down now: no deadline is enforced until it is back
                if deadline > now:
                    bill.expires_at, bill.extended, bill.reminded_at, bill.updated_at = deadline, True, None, now
                    self.db.add_event("bill_extended", events.bill_extended(bill))
                    extended += 1
                else:
                    self._expire(session, bill, now, "deadline")
                    expired += 1
            soon = session.scalars(
                select(Bill)
                .where(
                    Bill.status == "pending",
                    Bill.booked.is_(True),
                    Bill.reminded_at.is_(None),
                    Bill.expires_at > now,
                    Bill.expires_at <= now + timedelta(seconds=self.settings.reminder_before_seconds),
                )
                .limit(SWEEP_BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for bill in soon:
                bill.reminded_at = now
                self.db.add_event("payment_reminder_due", events.payment_reminder_due(bill))
                reminded += 1
        return {"expired": expired, "extended": extended, "reminded": reminded}

    def channel_state(self, args):
        """The operator reports the channel down or back up (idempotent); deadlines inside an outage move."""
        now = self.now()
        with self.db.transaction() as session:
            open_ = session.scalars(
                select(ChannelOutage).where(ChannelOutage.ended_at.is_(None)).with_for_update()
            ).all()
            if args["state"] == "down" and not open_:
                session.add(
                    ChannelOutage(
                        id=str(uuid.uuid4()),
                        started_at=now,
                        reason=args["reason"] or "reported down",
                        recorded_by=_str(args.get("staff_id")),
                    )
                )
            if args["state"] == "up":
                for outage in open_:
                    outage.ended_at = now
        return self.channel_status()

    def channel_status(self):
        rows = self.db.session.scalars(select(ChannelOutage).order_by(ChannelOutage.started_at.desc()).limit(10)).all()
        down = next((o for o in rows if o.ended_at is None), None)
        return {
            "state": "down" if down else "up",
            "since": down.started_at.isoformat() if down else None,
            "outages": [
                {
                    "started_at": o.started_at.isoformat(),
                    "ended_at": o.ended_at.isoformat() if o.ended_at else None,
                    "reason": o.reason,
                }
                for o in rows
            ],
        }

    # -- what scheduling tells ----------------------------------------------------------------------------------

    def on_booking_created(self, envelope):
        data = load(BookingData(), envelope["data"])
        with self.db.transaction() as session:
            if self.db.first_delivery(envelope, "payment.booking_created"):
                session.execute(
                    update(Bill)
                    .where(Bill.booking_id == data["booking_id"])
                    .values(booked=True, reservation_code=data["reservation_code"])
                )

    def on_booking_cancelled(self, envelope):
        """A pending bill closes; a paid one is refunded (the office cancelled, or the citizen did: the service
        will not be given, docs/contracts.md)."""
        data = load(BookingData(), envelope["data"])
        now = self.now()
        with self.db.transaction() as session:
            if not self.db.first_delivery(envelope, "payment.booking_cancelled"):
                return
            bill = session.scalar(select(Bill).where(Bill.booking_id == data["booking_id"]).with_for_update())
            if bill is None:
                return
            if bill.status == "pending":
                self._expire(session, bill, now, "cancelled", tell=False)
            elif bill.status == "paid":
                reason = "cancelled_by_office" if data["reason"] == "office" else "cancelled"
                self._refund(session, bill, self._applied(session, bill), reason, now, closes=True)

    # -- refunds by an operator ---------------------------------------------------------------------------------

    def refund(self, args):
        """A paid booking that can no longer be served (and was not cancelled, which refunds by itself)."""
        now = self.now()
        with self.db.transaction() as session:
            bill = self._by_code(session, args["billing_code"], lock=True)
            if bill.status == "refunded":
                raise AlreadyRefunded("this bill was refunded already", billing_code=bill.billing_code)
            if bill.status != "paid":
                raise BillNotPaid("nothing was paid on this bill", status=bill.status)
            self._refund(session, bill, self._applied(session, bill), args["reason"], now, closes=True)
            return dto(bill)

    # -- reconciliation -----------------------------------------------------------------------------------------

    def reconcile(self, day, settlements):
        """Compare the payments we received on ``day`` (UTC) with the channel's settlements; keep the report
        once the day is over (today's is made on every ask)."""
        start = datetime(day.year, day.month, day.day, tzinfo=utcnow().tzinfo)
        with self.db.transaction() as session:
            rows = session.execute(
                select(Payment, Bill.billing_code, Refund.amount)
                .join(Bill, Bill.id == Payment.bill_id)
                .outerjoin(Refund, Refund.transaction_id == Payment.transaction_id)
                .where(Payment.paid_at >= start, Payment.paid_at < start + timedelta(days=1))
            ).all()
            ours = [
                {
                    "transaction_id": p.transaction_id,
                    "billing_code": code,
                    "amount": p.amount,
                    "refunded": refunded or 0,
                }
                for p, code, refunded in rows
            ]
            report = reconcile.compare(day, ours, settlements)
            if day >= self.now().date():
                return report
            stmt = insert(Reconciliation).values(day=day, report=report, created_at=self.now())
            session.execute(stmt.on_conflict_do_update(index_elements=["day"], set_={"report": report}))
        return report

    def reconciliation(self, day):
        row = self.db.session.get(Reconciliation, day)
        return None if row is None else row.report

    # -- helpers ------------------------------------------------------------------------------------------------

    @property
    def _grace(self):
        return timedelta(seconds=self.settings.outage_grace_seconds)

    def _by_code(self, session, text, lock=False):
        code = codes.normalise(text)
        if code is None:
            raise BillNotFound("no bill has this billing code")
        query = select(Bill).where(Bill.billing_code == code)
        bill = session.scalar(query.with_for_update() if lock else query)
        if bill is None:
            raise BillNotFound("no bill has this billing code")
        return bill

    def _outages(self, session, since):
        rows = session.execute(
            select(ChannelOutage.started_at, ChannelOutage.ended_at).where(
                or_(ChannelOutage.ended_at.is_(None), ChannelOutage.ended_at >= since)
            )
        ).all()
        return [(r.started_at, r.ended_at) for r in rows]

    def _overdue(self, session, bill, now):
        if bill.expires_at >= now:
            return False
        deadline = effective_deadline(bill.expires_at, self._outages(session, bill.expires_at), self._grace)
        return deadline is not None and deadline < now

    def _expire(self, session, bill, now, reason, tell=True):
        bill.status, bill.closed_reason, bill.updated_at = "expired", reason, now
        if tell:
            self.db.add_event("bill_expired", events.bill_expired(bill))

    def _applied(self, session, bill):
        return session.scalar(
            select(Payment).where(Payment.bill_id == bill.id, Payment.outcome == "applied").with_for_update()
        )

    def _refund(self, session, bill, payment, reason, now, closes):
        """Give ``payment`` back; ``closes``: it was the bill's money (the bill is then refunded), not a second
        payment of a bill that stays paid."""
        refund = Refund(
            id=str(uuid.uuid4()),
            transaction_id=payment.transaction_id,
            bill_id=bill.id,
            amount=payment.amount,
            reason=reason,
            created_at=now,
        )
        session.add(refund)
        payment.outcome = "refunded"
        if closes:
            bill.status, bill.updated_at = "refunded", now
        session.flush()
        events.emit(
            self.db,
            "payment_refunded",
            events.payment_refunded(bill, refund),
            events.payment_refunded_integration(bill, refund),
        )
        return refund


def _str(value):
    return None if value is None else str(value)


def yesterday(now):
    return (now - timedelta(days=1)).date()
