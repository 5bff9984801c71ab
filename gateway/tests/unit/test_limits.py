"""Limits at the edge: rates per key answer 429 with Retry-After, and the booking path's in-flight bound
answers 429 TOO_BUSY at once instead of queueing past the RPC deadline."""

import pytest

from gateway.errors import ERRORS, GatewayError
from gateway.limits import Limits, Window


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_window_counts_per_key_and_says_when_to_come_back():
    clock = Clock()
    window = Window(2, 60, clock)
    assert window.hit("a") is None and window.hit("a") is None
    assert window.hit("b") is None  # another key has its own count
    clock.now += 15
    assert window.hit("a") == 45
    clock.now += 45
    assert window.hit("a") is None  # a new window


def test_a_limit_passed_on_any_key_is_429_with_retry_after():
    limits = Limits({"GATEWAY_RATE_REGISTER": "1/3600"})
    limits.check("register", address="203.0.113.5", phone="8123456789")
    with pytest.raises(GatewayError) as info:
        limits.check("register", address="198.51.100.9", phone="8123456789")  # same phone, other address
    assert info.value.code == "RATE_LIMITED" and int(info.value.headers["Retry-After"]) > 3500
    limits.check("register", address=None, phone="8000000000")  # an unknown key is not counted


def test_bookings_in_flight_are_bounded_and_the_one_over_is_told_at_once():
    limits = Limits({"GATEWAY_BOOKINGS_IN_FLIGHT": "2"})
    with limits.booking_slot(), limits.booking_slot():
        with pytest.raises(GatewayError) as info, limits.booking_slot():
            pass
        assert info.value.code == "TOO_BUSY" and info.value.headers["Retry-After"] == "2"
        assert ERRORS["TOO_BUSY"][0] == 429
    with limits.booking_slot():  # freed again, also after an error inside
        assert limits.in_flight == 1
    assert limits.in_flight == 0


def test_slow_bookings_shrink_the_bound_and_fast_ones_let_it_grow_back():
    limits = Limits({"GATEWAY_BOOKINGS_IN_FLIGHT": "10", "GATEWAY_BOOKING_SLOW_SECONDS": "2.5"})
    clock = Clock()

    def booking(seconds):
        with limits.booking_slot(clock):
            clock.now += seconds

    for _ in range(10):
        booking(4.0)  # scheduling answers near the deadline
    assert limits.limit < 4.0 + 1e-9  # down to the floor
    with limits.booking_slot(clock), limits.booking_slot(clock), limits.booking_slot(clock), limits.booking_slot(clock):
        with pytest.raises(GatewayError):
            with limits.booking_slot(clock):
                pass
    for _ in range(200):
        booking(0.1)
    assert limits.limit == 10


def test_waiting_room_calls_have_their_own_bound():
    limits = Limits({"GATEWAY_QUEUE_IN_FLIGHT": "1", "GATEWAY_BOOKINGS_IN_FLIGHT": "1"})
    with limits.slot("queue"):
        with pytest.raises(GatewayError) as info, limits.slot("queue"):
            pass
        assert info.value.code == "TOO_BUSY"
        with limits.booking_slot():  # bookings are not held up by the crowd's polls
            pass
