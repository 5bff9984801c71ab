"""A payment committed by a payment process that dies before publishing it still confirms the booking, and
the deadline passing while no payment process runs does not undo it: the bill was judged paid in time.

To hold the process exactly between its two steps (commit the payment with its event, then publish it), it
runs as a database role that may insert into the outbox but not mark it published (its relay fails); it is
then killed, the deadline passes, and a new process with the normal role publishes what the dead one
committed."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_extension
from sqlalchemy.exc import ProgrammingError

from antre_common.outbox import OutboxRelay
from antre_common.testing import RelayLessRole, wait_until
from payment.service import PaymentService

from .conftest import book, notification, one_seat_slots, rows


@pytest.fixture
def relay_less_url(config, engine):
    """DATABASE_URL of a role that can write the outbox but not mark it published."""
    with RelayLessRole(engine, config["DATABASE_URL"]) as url:
        yield url


def test_a_payment_committed_before_a_crash_confirms_the_booking_after_the_deadline(
    container_factory, config, relay_less_url, engine, scheduling
):
    doomed = container_factory(PaymentService, dict(config, DATABASE_URL=relay_less_url))
    doomed.start()
    booking = book(scheduling, one_seat_slots(scheduling)[0])
    with ClusterRpcProxy(config, timeout=30) as proxy:
        outcome = proxy.payment.channel_notification(*notification(booking["payment"], transaction_id="TX-CRASH"))
    assert outcome["outcome"] == "applied"
    with pytest.raises(ProgrammingError):  # a relay pass, now: it cannot mark the rows published
        get_extension(doomed, OutboxRelay).publish_pending()
    doomed.kill()  # the crash, between the commit and the publish
    assert scheduling.get_booking(booking["reservation_code"])["status"] == "awaiting_payment"
    wait_until(
        lambda: rows(engine, "SELECT 1 FROM bill WHERE expires_at < now() AND status = 'paid'"), 15, what="deadline"
    )

    revived = container_factory(PaymentService, config)
    revived.start()  # its relay publishes what the dead process committed; its sweep finds nothing to expire
    confirmed = wait_until(
        lambda: (b := scheduling.get_booking(booking["reservation_code"]))["status"] == "confirmed" and b,
        20,
        what="the booking confirmed",
    )
    assert confirmed["payment"]["receipt_number"]
    assert rows(engine, "SELECT * FROM refund") == []
    assert rows(engine, "SELECT 1 FROM outbox WHERE event_type = 'bill_expired'") == []
    wait_until(lambda: not rows(engine, "SELECT 1 FROM outbox WHERE published_at IS NULL"), 20, what="published")
