"""A booking of a service with a fee, with scheduling and payment both real (their own databases, one vhost):
it holds its seat until the deadline and no longer; a payment racing the deadline ends either paid and
confirmed or expired and refunded, also when the payment process is killed (SIGKILL) in the middle."""

import time
from datetime import datetime

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from antre_common.errors import parse_remote
from antre_common.testing import wait_until

from .conftest import PaymentProcess, book, citizen, error_code, notification, one_seat_slots, outbox, rows


def test_a_booking_with_a_fee_awaits_payment_and_is_confirmed_when_paid(payment, rpc, scheduling, engine):
    slot = one_seat_slots(scheduling)[0]
    booking = book(scheduling, slot)
    pay = booking["payment"]
    assert booking["status"] == "awaiting_payment"
    assert (pay["amount"], pay["currency"], len(pay["billing_code"])) == (650000, "IDR", 15)
    assert scheduling.get_booking(booking["reservation_code"])["payment"] == pay
    wait_until(lambda: rows(engine, "SELECT 1 FROM bill WHERE booked"), 10, what="payment learns of the booking")

    assert rpc.channel_notification(*notification(pay))["outcome"] == "applied"
    paid = wait_until(
        lambda: (b := scheduling.get_booking(booking["reservation_code"]))["status"] == "confirmed" and b,
        10,
        what="the booking confirmed",
    )
    assert paid["payment"]["receipt_number"] == rpc.get_bill(booking["booking_id"])["receipt_number"]
    # A free service books as it always did: confirmed at once, no payment, payment not asked.
    free = book(scheduling, one_seat_slots(scheduling)[1], service_code="paspor_baru")
    assert free["status"] == "confirmed" and "payment" not in free


def test_a_booking_expires_exactly_at_its_deadline_and_its_seat_is_bookable_again(
    payment, rpc, scheduling, scheduling_engine
):
    slot = one_seat_slots(scheduling)[0]
    booking = book(scheduling, slot)
    deadline = datetime.fromisoformat(booking["payment"]["expires_at"])
    assert error_code(book, scheduling, slot) == "SLOT_FULL"  # the seat is held while payment is awaited
    expired = wait_until(
        lambda: (b := scheduling.get_booking(booking["reservation_code"]))["status"] == "expired" and b,
        15,
        what="the booking expired",
    )
    [row] = rows(scheduling_engine, "SELECT updated_at FROM booking WHERE id = :id", id=booking["booking_id"])
    assert deadline <= row["updated_at"] < deadline.replace(microsecond=0) + _seconds(3)  # at the deadline
    assert expired["payment"]["billing_code"] == booking["payment"]["billing_code"]
    [event] = [e for e in _outbox(scheduling_engine, "booking_expired")]
    assert event["data"]["reason"] == "unpaid" and event["data"]["booking_id"] == booking["booking_id"]
    again = book(scheduling, slot)  # the seat returned
    assert again["status"] == "awaiting_payment" and again["slot_id"] == slot["slot_id"]


def test_cancelling_refunds_a_paid_booking_once_and_closes_an_unpaid_bill(payment, rpc, scheduling, engine):
    slots = one_seat_slots(scheduling)
    people = [citizen() for _ in range(3)]
    by_citizen, by_office, unpaid = (book(scheduling, slot, person) for slot, person in zip(slots, people))
    for paid in (by_citizen, by_office):
        rpc.channel_notification(*notification(paid["payment"]))
        wait_until(
            lambda b=paid: scheduling.get_booking(b["reservation_code"])["status"] == "confirmed", 10, what="paid"
        )
    scheduling.cancel_booking({"reservation_code": by_citizen["reservation_code"], "user_id": people[0]["user_id"]})
    scheduling.cancel_booking({"reservation_code": by_office["reservation_code"], "user_id": None, "reason": "office"})
    scheduling.cancel_booking({"reservation_code": unpaid["reservation_code"], "user_id": people[2]["user_id"]})
    for b in (by_citizen, by_office):
        wait_until(lambda b=b: rpc.get_bill(b["booking_id"])["status"] == "refunded", 10, what="the refund")
    wait_until(lambda: rpc.get_bill(unpaid["booking_id"])["status"] == "expired", 10, what="the unpaid bill closed")
    refunds = rows(engine, "SELECT b.booking_id::text, r.reason FROM refund r JOIN bill b ON b.id = r.bill_id")
    assert sorted((r["booking_id"], r["reason"]) for r in refunds) == sorted(
        [(by_citizen["booking_id"], "cancelled"), (by_office["booking_id"], "cancelled_by_office")]
    )
    assert len(outbox(engine, "payment_refunded")) == 2


def test_a_service_with_a_fee_is_not_booked_while_payment_is_down_and_a_free_one_is(scheduling, scheduling_engine):
    slots = one_seat_slots(scheduling)
    assert error_code(book, scheduling, slots[0]) == "SERVICE_UNAVAILABLE"  # no payment process in this test
    assert rows(scheduling_engine, "SELECT * FROM booking") == []  # nothing held, no seat taken
    assert book(scheduling, slots[0], service_code="paspor_baru")["status"] == "confirmed"


def _seconds(n):
    from datetime import timedelta

    return timedelta(seconds=n)


def _outbox(engine, event_type):
    return outbox(engine, event_type)


def send_until_answered(config, signed, deadline_s=60):
    """As the channel does: send again until payment answers (it may be dead, or restarting)."""
    stop = time.monotonic() + deadline_s
    while True:
        try:
            with ClusterRpcProxy(config, timeout=3) as proxy:
                return proxy.payment.channel_notification(*signed)["outcome"]
        except RemoteError as exc:
            doc = parse_remote(exc.value) or {}
            if doc.get("code") != "SERVICE_UNAVAILABLE":
                raise
        except Exception:  # noqa: BLE001, S110 - no reply in time: the process is dead; the channel retries
            pass
        if time.monotonic() > stop:
            raise AssertionError("payment never answered")


@pytest.mark.parametrize("run", [1])
def test_a_payment_racing_the_deadline_is_paid_and_confirmed_or_expired_and_refunded(
    run, config, scheduling, scheduling_engine, engine, tmp_path
):
    """Twelve bookings, each paid within a second either side of its deadline, while the payment process is
    SIGKILLed in the middle and started again. Afterwards each booking is exactly one of: confirmed with its
    bill paid and nothing refunded, or expired with every payment of its bill refunded; no payment is lost."""
    process = PaymentProcess(config, tmp_path / "payment.log").start()
    try:
        wait_until(lambda: _pings(config), 30, what="the payment process")
        slots = one_seat_slots(scheduling)[:12]
        bookings = [book(scheduling, slot) for slot in slots]
        # Each payment is sent at deadline + offset: from 1.2 s before to 1.2 s after.
        offsets = [-1.2 + 0.2 * i for i in range(12)]

        def pay(i):
            b = bookings[i]
            due = datetime.fromisoformat(b["payment"]["expires_at"]).timestamp() + offsets[i]
            eventlet.sleep(max(0.0, due - time.time()))
            return send_until_answered(config, notification(b["payment"], transaction_id=f"TX-RACE-{i}"))

        pool = eventlet.GreenPool(12)
        results = [pool.spawn(pay, i) for i in range(12)]
        first_deadline = min(datetime.fromisoformat(b["payment"]["expires_at"]) for b in bookings).timestamp()
        eventlet.sleep(max(0.0, first_deadline - time.time()))
        process.kill()  # between whatever steps it was in
        eventlet.sleep(0.5)
        process.start()
        outcomes = [r.wait() for r in results]
        assert set(outcomes) <= {"applied", "refunded", "repeated"}

        def settled():
            states = [scheduling.get_booking(b["reservation_code"])["status"] for b in bookings]
            return all(s in ("confirmed", "expired") for s in states) and states

        states = wait_until(settled, 30, what="every booking settled")
        assert states[0] == "confirmed" and states[-1] == "expired"  # paid 1.2 s before / 1 s after the deadline
        bills = {r["booking_id"]: r for r in rows(engine, "SELECT booking_id::text, id, status FROM bill")}
        for booking, state in zip(bookings, states):
            bill = bills[booking["booking_id"]]
            payments = rows(engine, "SELECT transaction_id, outcome FROM payment WHERE bill_id = :b", b=bill["id"])
            refunds = rows(engine, "SELECT transaction_id FROM refund WHERE bill_id = :b", b=bill["id"])
            assert len(payments) == 1, payments  # recorded once, however often it was sent
            if state == "confirmed":
                assert (bill["status"], payments[0]["outcome"], refunds) == ("paid", "applied", [])
            else:
                assert (bill["status"], payments[0]["outcome"], len(refunds)) == ("refunded", "refunded", 1)
        received = [e["data"]["booking_id"] for e in outbox(engine, "payment_received")]
        confirmed = [b["booking_id"] for b, s in zip(bookings, states) if s == "confirmed"]
        assert sorted(received) == sorted(confirmed)  # one payment_received per confirmed booking, none else
        wait_until(lambda: not rows(engine, "SELECT 1 FROM outbox WHERE published_at IS NULL"), 20, what="relayed")
    finally:
        process.kill()


def _pings(config):
    try:
        with ClusterRpcProxy(config, timeout=2) as proxy:
            return proxy.payment.ping()["status"] == "up"
    except Exception:  # noqa: BLE001 - not consuming yet
        return False
