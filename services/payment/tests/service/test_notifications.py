"""The channel's notifications against real RabbitMQ and PostgreSQL: a bill is paid once however often and
however concurrently it is notified; every bad notification has its own code and changes nothing; money
that arrives for a bill that cannot take it is recorded and refunded."""

import eventlet
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook

from antre_common.testing import wait_until

from .conftest import NEXT_SECRET, error_code, new_bill_args, notification, outbox, rows


def money(engine):
    """Every payment and refund row: what must not change after a refused notification."""
    return (
        rows(engine, "SELECT transaction_id, outcome FROM payment ORDER BY transaction_id"),
        rows(engine, "SELECT transaction_id, reason FROM refund ORDER BY transaction_id"),
        rows(engine, "SELECT billing_code, status, receipt_number FROM bill ORDER BY billing_code"),
    )


def test_a_bill_is_paid_once_when_the_notification_arrives_three_times_in_parallel(rpc, config, engine):
    bill = rpc.create_bill(new_bill_args())
    assert len(bill["billing_code"]) == 15 and bill["status"] == "pending" and bill["amount"] == 650000
    signed = notification(bill, transaction_id="TX-PARALLEL-1")

    def send(_):
        with ClusterRpcProxy(config, timeout=30) as proxy:
            return proxy.payment.channel_notification(*signed)["outcome"]

    outcomes = sorted(eventlet.GreenPool(3).imap(send, range(3)))
    assert outcomes == ["applied", "repeated", "repeated"]
    assert len(outbox(engine, "payment_received")) == 1
    assert len(outbox(engine, "id.go.imigrasi.antre.payment.received.v1")) == 1
    assert rows(engine, "SELECT outcome FROM payment") == [{"outcome": "applied"}]
    assert rows(engine, "SELECT * FROM refund") == []
    paid = rpc.get_bill(bill["booking_id"])
    assert paid["status"] == "paid" and paid["receipt_number"].startswith("ANT")


def test_every_bad_notification_has_its_code_and_changes_nothing(rpc, engine):
    bill = rpc.create_bill(new_bill_args())
    before = money(engine)
    body, good_signature = notification(bill)
    assert error_code(rpc.channel_notification, body, None) == "PAYMENT_SIGNATURE_INVALID"  # missing
    assert error_code(rpc.channel_notification, body, "sha256=" + "0" * 64) == "PAYMENT_SIGNATURE_INVALID"
    wrong_key = notification(bill, secret="not-the-channel-key")  # noqa: S106 - a made-up key
    assert error_code(rpc.channel_notification, *wrong_key) == "PAYMENT_SIGNATURE_INVALID"
    tampered = notification(bill, amount=1)[0]  # another body under the first body's signature
    assert error_code(rpc.channel_notification, tampered, good_signature) == "PAYMENT_SIGNATURE_INVALID"
    stale = notification(bill, timestamp=1_700_000_000)
    assert error_code(rpc.channel_notification, *stale) == "PAYMENT_TIMESTAMP_OUT_OF_WINDOW"
    assert error_code(rpc.channel_notification, *notification(bill, billing_code="100000000000000")) == (
        "BILL_NOT_FOUND"
    )  # fails its check digit
    unknown = new_bill_args()
    other = rpc.create_bill(unknown)
    assert error_code(rpc.channel_notification, *notification(dict(other, billing_code=_flip(other)))) in (
        "BILL_NOT_FOUND",
    )
    assert error_code(rpc.channel_notification, *notification(bill, amount=bill["amount"] - 1)) == (
        "PAYMENT_AMOUNT_MISMATCH"
    )
    assert error_code(rpc.channel_notification, "!!not base64!!", good_signature) == "VALIDATION_ERROR"
    after = money(engine)
    assert after[0] == before[0] and after[1] == before[1]
    assert rpc.get_bill(bill["booking_id"])["status"] == "pending"

    # A key added by a rotation is accepted beside the first one; the same transaction again changes nothing,
    # and the same transaction id for another bill is a conflict.
    assert rpc.channel_notification(*notification(bill, transaction_id="TX-ROT", secret=NEXT_SECRET))["outcome"] == (
        "applied"
    )
    assert rpc.channel_notification(*notification(bill, transaction_id="TX-ROT"))["outcome"] == "repeated"
    assert error_code(rpc.channel_notification, *notification(other, transaction_id="TX-ROT")) == (
        "PAYMENT_TRANSACTION_CONFLICT"
    )
    # A second payment of a paid bill (another transaction) is recorded and given back; the bill stays paid.
    assert rpc.channel_notification(*notification(bill, transaction_id="TX-TWICE"))["outcome"] == "refunded"
    assert rows(engine, "SELECT reason FROM refund WHERE transaction_id = 'TX-TWICE'") == [
        {"reason": "duplicate_payment"}
    ]
    assert rpc.get_bill(bill["booking_id"])["status"] == "paid"
    assert len(outbox(engine, "payment_received")) == 1


def _flip(bill):
    """Another valid-looking code (check digit right) that no bill has."""
    from payment.codes import damm

    body = bill["billing_code"][:-1]
    body = body[:-1] + str((int(body[-1]) + 1) % 10)
    return body + str(damm(body))


def test_a_payment_after_the_deadline_is_recorded_and_refunded_and_a_refund_happens_once(rpc, engine, payment):
    bill = rpc.create_bill(new_bill_args())
    wait_until(lambda: rpc.get_bill(bill["booking_id"])["status"] == "expired", 15, what="the deadline")
    assert [e["data"]["booking_id"] for e in outbox(engine, "bill_expired")] == [bill["booking_id"]]
    assert rpc.channel_notification(*notification(bill, transaction_id="TX-LATE"))["outcome"] == "refunded"
    late = rpc.get_bill(bill["booking_id"])
    assert late["status"] == "refunded" and late["receipt_number"] is None
    assert rows(engine, "SELECT reason, amount FROM refund") == [{"reason": "bill_expired", "amount": 650000}]
    [refunded] = outbox(engine, "payment_refunded")
    assert refunded["data"]["amount"] == 650000 and refunded["data"]["transaction_id"] == "TX-LATE"
    [integration] = outbox(engine, "id.go.imigrasi.antre.payment.refunded.v1")
    assert "user_id" not in integration["data"] and integration["specversion"] == "1.0"
    assert error_code(rpc.refund, {"billing_code": bill["billing_code"], "reason": "office"}) == "ALREADY_REFUNDED"

    paid = rpc.create_bill(new_bill_args())
    assert error_code(rpc.refund, {"billing_code": paid["billing_code"], "reason": "office"}) == "BILL_NOT_PAID"
    rpc.channel_notification(*notification(paid))
    assert rpc.refund({"billing_code": paid["billing_code"], "reason": "not_served"})["status"] == "refunded"
    assert error_code(rpc.refund, {"billing_code": paid["billing_code"], "reason": "not_served"}) == (
        "ALREADY_REFUNDED"
    )
    assert len(rows(engine, "SELECT * FROM refund")) == 2
    assert error_code(rpc.create_bill, new_bill_args(service_code="paspor_baru")) == "SERVICE_HAS_NO_FEE"


def test_a_deadline_inside_a_channel_outage_is_extended_not_enforced(rpc, engine, payment):
    rpc.set_channel_state({"state": "down", "reason": "bank app down"})
    bill = rpc.create_bill(new_bill_args())
    with entrypoint_hook(payment, "sweep_deadlines") as sweep:
        wait_until(lambda: rows(engine, "SELECT 1 FROM bill WHERE expires_at < now()"), 15, what="the deadline")
        sweep()  # past the deadline while the channel is down: nothing expires
        assert rpc.get_bill(bill["booking_id"])["status"] == "pending"
        assert rpc.channel_status()["state"] == "down"
        rpc.set_channel_state({"state": "up"})
        sweep()
    extended = rpc.get_bill(bill["booking_id"])
    assert extended["status"] == "pending" and extended["expires_at"] > bill["expires_at"]
    assert [e["data"]["expires_at"] for e in outbox(engine, "bill_extended")] == [extended["expires_at"]]
    assert rpc.channel_notification(*notification(bill))["outcome"] == "applied"
