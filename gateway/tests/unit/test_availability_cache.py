"""The edge cache of availability answers: kept per office, dropped on change, never refilled by a stale
answer fetched while the office changed."""

import time

import pytest

from gateway.availability_cache import OfficeAnswers


def test_answers_are_kept_until_their_office_changes():
    answers, asked = OfficeAnswers(ttl=60), []

    def fetch(value):
        def go():
            asked.append(value)
            return value

        return go

    assert answers.get(("JKS", "paspor_baru", None, None), fetch(1)) == 1
    assert answers.get(("JKS", "paspor_baru", None, None), fetch(2)) == 1
    assert answers.get(("MKS", "paspor_baru", None, None), fetch(3)) == 3
    answers.drop("JKS")
    assert answers.get(("JKS", "paspor_baru", None, None), fetch(4)) == 4
    assert answers.get(("MKS", "paspor_baru", None, None), fetch(5)) == 3  # another office keeps its answer
    assert asked == [1, 3, 4]


def test_an_answer_fetched_while_the_office_changed_is_not_kept():
    answers = OfficeAnswers(ttl=60)
    key = ("JKS", "paspor_baru", None, None)

    def fetch_during_a_booking():
        answers.drop("JKS")  # the booking's event arrives while this read is on its way
        return "before the booking"

    assert answers.get(key, fetch_during_a_booking) == "before the booking"
    assert answers.get(key, lambda: "after the booking") == "after the booking"


def test_answers_expire():
    answers = OfficeAnswers(ttl=0.05)
    key = ("JKS", "paspor_baru", None, None)
    answers.get(key, lambda: "old")
    time.sleep(0.1)
    assert answers.get(key, lambda: "new") == "new"


def test_concurrent_misses_share_one_fetch_and_its_error():
    import eventlet

    answers, asked = OfficeAnswers(ttl=60), []
    key = ("JKS", "paspor_baru", None, None)

    def slow(result):
        def go():
            asked.append(result)
            eventlet.sleep(0.05)
            if isinstance(result, Exception):
                raise result
            return result

        return go

    readers = [eventlet.spawn(answers.get, key, slow("seats")) for _ in range(20)]
    assert [r.wait() for r in readers] == ["seats"] * 20
    assert asked == ["seats"]

    answers.drop("JKS")
    failing = [eventlet.spawn(answers.get, key, slow(RuntimeError("scheduling down"))) for _ in range(5)]
    outcomes = []
    for reader in failing:
        try:
            reader.wait()
        except RuntimeError as exc:
            outcomes.append(str(exc))
    assert outcomes == ["scheduling down"] * 5 and len(asked) == 2  # one failed fetch for five readers
    assert answers.get(key, lambda: "recovered") == "recovered"  # an error is not kept


def test_a_fetch_whose_green_thread_is_killed_leaves_no_reader_waiting():
    import eventlet

    answers = OfficeAnswers(ttl=60)
    key = ("JKS", "paspor_baru", None, None)
    fetcher = eventlet.spawn(answers.get, key, lambda: eventlet.sleep(10))
    eventlet.sleep(0)  # the fetch is under way
    waiter = eventlet.spawn(answers.get, key, lambda: "never asked")
    eventlet.sleep(0)
    fetcher.kill()
    with pytest.raises(eventlet.greenlet.GreenletExit):
        waiter.wait()  # the waiter is released with the fetch's end, not left hanging
    assert answers.get(key, lambda: "fresh") == "fresh"
