"""Payment's rules without a broker or database: billing codes, the fee table, signatures, deadlines,
reconciliation; and the development bank signs as payment verifies."""

from datetime import UTC, date, datetime, timedelta

import pytest

from antre_dev import bank
from payment import channel, codes, reconcile
from payment.bills import effective_deadline
from payment.exceptions import PaymentSignatureInvalid, PaymentTimestampOutOfWindow, ServiceHasNoFee
from payment.fees import FeeTable

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_billing_codes_are_15_digits_whose_check_digit_catches_typos_and_swaps():
    made = {codes.new_billing_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in list(made)[:200]:
        assert len(code) == 15 and code[0] != "0" and codes.normalise(code) == code
        assert codes.normalise(f"{code[:5]} {code[5:10]}-{code[10:]}") == code
        for i in range(14):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert codes.normalise(swapped) is None
        wrong = code[:7] + str((int(code[7]) + 3) % 10) + code[8:]
        assert codes.normalise(wrong) is None
    assert codes.normalise("12345") is None and codes.normalise(None) is None
    assert codes.new_receipt_number(T0).startswith("ANT261201")


def test_the_fee_table_has_its_legal_source_and_refuses_services_without_a_fee():
    table = FeeTable.load()
    assert "PP 45/2024" in table.source and "28/2019" in table.source
    fee = table.of("paspor_elektronik")
    assert (fee.amount, fee.currency, fee.hold_seconds) == (650000, "IDR", None)
    with pytest.raises(ServiceHasNoFee):
        table.of("paspor_baru")
    with pytest.raises(ValueError):
        FeeTable({"source": "x", "currency": "IDR", "tariffs": {"t": {"amount": 0, "basis": "x"}},
                  "services": {"s": {"tariff": "t"}}})  # fmt: skip


def test_signatures_accept_every_key_of_the_ring_and_nothing_else():
    ring = channel.parse_secrets("k1:aaaaaaaaaaaaaaaa1,k2:bbbbbbbbbbbbbbbb2")
    body = b'{"timestamp": %d}' % int(T0.timestamp())
    for secret in ring:
        assert channel.read(ring, body, channel.sign(secret, body), T0, 300) == {"timestamp": int(T0.timestamp())}
    for bad in (None, "", "md5=00", channel.sign(b"cccccccccccccccc3", body), channel.sign(ring[0], body + b" ")):
        with pytest.raises(PaymentSignatureInvalid):
            channel.read(ring, body, bad, T0, 300)
    with pytest.raises(PaymentTimestampOutOfWindow):
        channel.read(ring, body, channel.sign(ring[0], body), T0 + timedelta(seconds=301), 300)
    with pytest.raises(ValueError):
        channel.parse_secrets("k1:short")
    assert bank.sign(ring[0].decode(), body) == channel.sign(ring[0], body)  # the bank signs as payment checks


def test_a_deadline_inside_an_outage_moves_to_its_end_plus_the_grace_and_is_not_enforced_while_it_lasts():
    grace = timedelta(minutes=30)
    assert effective_deadline(T0, [], grace) == T0
    assert effective_deadline(T0, [(T0 - H, T0 + H)], grace) == T0 + H + grace
    assert effective_deadline(T0, [(T0 - H, None)], grace) is None
    assert effective_deadline(T0, [(T0 + H, T0 + 2 * H)], grace) == T0  # after the deadline: not counted
    assert effective_deadline(T0, [(T0 - 2 * H, T0 - H)], grace) == T0  # over before it
    chained = [(T0 + H + grace - timedelta(minutes=1), T0 + 3 * H), (T0 - H, T0 + H)]
    assert effective_deadline(T0, chained, grace) == T0 + 3 * H + grace


def test_reconciliation_lists_what_only_one_side_has_and_amounts_that_differ():
    ours = [
        {"transaction_id": "a", "billing_code": "1", "amount": 650000, "refunded": 0},
        {"transaction_id": "b", "billing_code": "2", "amount": 650000, "refunded": 650000},
        {"transaction_id": "c", "billing_code": "3", "amount": 650000, "refunded": 0},
    ]
    theirs = [
        {"transaction_id": "a", "billing_code": "1", "amount": 650000},
        {"transaction_id": "b", "billing_code": "2", "amount": 600000},
        {"transaction_id": "z", "billing_code": "9", "amount": 350000},
    ]
    report = reconcile.compare(date(2026, 12, 1), ours, theirs)
    assert [p["transaction_id"] for p in report["only_ours"]] == ["c"]
    assert [p["transaction_id"] for p in report["only_channel"]] == ["z"]
    assert [m["ours"]["transaction_id"] for m in report["amount_mismatch"]] == ["b"]
    assert (report["received"], report["refunded"], report["net"], report["balanced"]) == (
        1950000,
        650000,
        1300000,
        False,
    )
    assert reconcile.compare(date(2026, 12, 1), ours[:1], theirs[:1])["balanced"] is True
