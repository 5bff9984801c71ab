"""The board hub: each viewer of an office gets each change once, a slow viewer keeps only the newest
boards, a viewer who leaves is forgotten, and the replica refuses viewers beyond its limit."""

import json
from types import SimpleNamespace

import pytest

from antre_common.errors import ServiceUnavailable
from gateway.board_stream import QUEUE_SIZE, BoardHub, cause_of


def hub(max_viewers=""):
    board_hub = BoardHub()
    board_hub.container = SimpleNamespace(config={"BOARD_STREAM_MAX_VIEWERS": max_viewers})
    board_hub.setup()
    return board_hub


def data_of(message):
    return json.loads(next(line[6:] for line in message.splitlines() if line.startswith("data: ")))


def test_each_viewer_of_the_office_gets_each_change_and_others_nothing():
    h = hub()
    first, second, elsewhere = h.subscribe("MKS"), h.subscribe("MKS"), h.subscribe("JKS")
    h.publish("MKS", {"waiting": 3}, {"type": "ticket_called", "ticket_number": "W001", "counter": "2"})
    for queue in (first, second):
        data = data_of(queue.get_nowait())
        assert data == {"waiting": 3, "change": {"type": "ticket_called", "ticket_number": "W001", "counter": "2"}}
    assert elsewhere.empty()
    assert h.watched("MKS") and not h.watched("DPS")


def test_a_slow_viewer_keeps_the_newest_boards():
    h = hub()
    queue = h.subscribe("MKS")
    for n in range(QUEUE_SIZE + 3):
        h.publish("MKS", {"waiting": n})
    got = [data_of(queue.get_nowait())["waiting"] for _ in range(queue.qsize())]
    assert got == list(range(3, QUEUE_SIZE + 3))


def test_the_stream_starts_with_the_board_and_forgets_a_viewer_who_leaves():
    h = hub()
    queue = h.subscribe("MKS")
    events = h.stream("MKS", queue, {"waiting": 1}).response
    first = next(iter(events))
    assert first.startswith(b"retry: ") and data_of(first.decode()) == {"waiting": 1}
    h.publish("MKS", {"waiting": 2})
    assert data_of(next(iter(events)).decode()) == {"waiting": 2}
    events.close()  # the server's write failed: the generator is closed
    assert not h.watched("MKS")


def test_viewers_beyond_the_limit_are_refused():
    h = hub(max_viewers="2")
    h.subscribe("MKS")
    h.subscribe("JKS")
    with pytest.raises(ServiceUnavailable):
        h.subscribe("MKS")


def test_the_cause_shown_on_screens_has_nothing_personal():
    data = {"ticket_number": "B004", "counter": "3", "recall": 1, "user_id": "u", "booking_id": "b", "office_code": "X"}
    envelope = {"type": "ticket_called", "data": data}
    assert cause_of(envelope) == {"type": "ticket_called", "ticket_number": "B004", "counter": "3", "recall": 1}
