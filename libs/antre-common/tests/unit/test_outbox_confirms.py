"""How the relay reads the broker's confirms of a batch (no broker: the callbacks py-amqp would call)."""

from antre_common.outbox import OutboxRelay


def relay_with_batch(first_tag):
    relay = OutboxRelay()
    relay._first_tag, relay._acked, relay._nacked = first_tag, set(), set()
    ack, nack = relay._confirmed(lambda: relay._acked), relay._confirmed(lambda: relay._nacked)
    return relay, ack, nack


def test_a_multiple_nack_after_a_multiple_ack_refuses_only_what_was_still_outstanding():
    relay, ack, nack = relay_with_batch(first_tag=11)  # tags 11-15: the channel's second batch
    ack(12, True)
    nack(15, True)
    assert (relay._acked, relay._nacked) == ({11, 12}, {13, 14, 15})


def test_single_confirms_and_a_late_multiple_ack():
    relay, ack, nack = relay_with_batch(first_tag=1)
    nack(2, False)
    ack(1, False)
    ack(4, True)
    assert (relay._acked, relay._nacked) == ({1, 3, 4}, {2})
