"""Replicas start while others take bookings (a rolling update during a quota release): both load the
catalogue and do their first release without deadlocking with the bookings or with each other."""

import threading

import pytest
from sqlalchemy.engine import make_url

from antre_dev.stack import ServiceFailed

from .test_scheduling import first_slot
from .tokens import bearer, citizen

OFFICE, SERVICE = "DJJ", "paspor_hilang"


def book_until(stop, gateway, stack, answers):
    """One booking after another, each by a new citizen, until told to stop; every status is kept."""
    slots = [s for s in gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()]
    slots = [s for s in slots if s["remaining"] > 0]
    n = 0
    while not stop.is_set() and n < len(slots):
        body = {"slot_id": slots[n]["slot_id"], "service_code": SERVICE}
        answers.append(gateway.post("/api/v1/bookings", json=body, headers=bearer(stack, citizen())).status_code)
        n += 1


def test_two_scheduling_replicas_start_together_while_bookings_run(stack, gateway):
    assert first_slot(gateway, office=OFFICE, service=SERVICE)
    stop, answers = threading.Event(), []
    streams = [threading.Thread(target=book_until, args=(stop, gateway, stack, answers)) for _ in range(2)]
    for stream in streams:
        stream.start()
    replicas = []
    try:
        replicas = [stack.start_service("scheduling", wait=False, replica=r) for r in ("b", "c")]
        for key in replicas:
            stack.wait_ready(key, timeout=60)  # raises with the replica's log if it exited (as it did on a deadlock)
    finally:
        stop.set()
        for stream in streams:
            stream.join(30)
        for key in replicas:
            stack.stop_process(key)
    assert answers and 201 in answers, answers
    assert not [a for a in answers if a >= 500], f"5xx while replicas started: {answers}"


def test_a_process_that_cannot_become_ready_fails_with_its_reason(stack):
    """What ``make run`` prints when a service cannot start: the readiness answer and the end of its log."""
    missing = make_url(stack.config.database_url("scheduling")).set(database="antre_does_not_exist")
    key = stack.start_service("scheduling", wait=False, replica="broken", env={"DATABASE_URL": str(missing)})
    try:
        with pytest.raises(ServiceFailed) as failed:
            stack.wait_ready(key, timeout=15)
    finally:
        stack.stop_process(key)
    assert "antre_does_not_exist" in str(failed.value) or "database" in str(failed.value), str(failed.value)
