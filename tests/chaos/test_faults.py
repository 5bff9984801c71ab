"""Faults under traffic. Each test runs a crowd (crowd.py) through the gateway, breaks one part of the suite
while it runs, restores it, waits for the suite to serve again within ``HEAL_SECONDS``, and then checks the
invariants: no 5xx but 503, no request left unanswered, no overbooking, every 201 in the database and every
booking in the database answered 201, every booking's and cancellation's event delivered to a ministry's queue,
and (for SMTP) every message owed sent once. What each test broke and found is printed (pytest -s)."""

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import create_engine, text

from antre_common.testing import wait_until
from antre_dev.stack import SERVICES

from ..system.people import code_from_mail, new_person
from .crowd import Crowd

HEAL_SECONDS = 60  # from the part being back to the crowd being served again (the runbook states it)
S3_OUTAGE_SECONDS = 60


def say(message):
    print(f"[chaos] {message}", flush=True)


LAST_STATUS = {}


def all_up(stack):
    import requests

    try:
        answer = requests.get(f"{stack.config.gateway_url}/api/v1/status", timeout=5)
    except requests.RequestException as exc:
        LAST_STATUS["seen"] = type(exc).__name__
        return False
    LAST_STATUS["seen"] = answer.status_code if answer.status_code != 200 else [
        (s["name"], s["failed"]) for s in answer.json()["services"] if s["status"] != "up"]  # fmt: skip
    return LAST_STATUS["seen"] == []


def healed(stack, crowd, what):
    started = time.monotonic()
    try:
        wait_until(lambda: all_up(stack), HEAL_SECONDS, what=f"every service up after {what}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the status page said at the end: {LAST_STATUS.get('seen')}") from None
    crowd.wait_for_bookings(2, timeout=HEAL_SECONDS)
    say(f"{what}: serving again {time.monotonic() - started:.1f} s after it was restored")


def kill_9(stack, name):
    proc = stack.procs.pop(name)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_each_process_killed_and_started_again(stack, scheduling_db, ministry):
    with Crowd(stack, "SBY", "paspor_hilang") as crowd:
        crowd.wait_for_bookings(3)
        for name in ("scheduling", "documents", "notification", "identity", "gateway"):
            kill_9(stack, name)
            say(f"killed {name} (-9)")
            time.sleep(2)  # traffic meets the hole: requests in flight die, new ones find nobody
            stack.start_service(name)
            healed(stack, crowd, f"{name} killed")
    crowd.check(scheduling_db, ministry, say)


def test_every_database_connection_terminated(stack, scheduling_db, ministry):
    admin = create_engine(stack.config.pg_url, isolation_level="AUTOCOMMIT")
    prefix = stack.config.db_prefix
    with Crowd(stack, "BDG", "paspor_hilang") as crowd:
        crowd.wait_for_bookings(3)
        with admin.connect() as conn:
            killed = 0
            for _ in range(5):  # again while the pools reconnect, as a PostgreSQL restart would look
                killed += conn.execute(
                    text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                         "WHERE datname LIKE :p AND pid <> pg_backend_pid()"), {"p": f"{prefix}%"},
                ).scalar()  # fmt: skip
                time.sleep(1)
        say(f"terminated {killed} database connections of the suite over 5 s")
        healed(stack, crowd, "database connections terminated")
    admin.dispose()
    crowd.check(scheduling_db, ministry, say)


def test_object_store_stopped_for_a_minute(stack, scheduling_db, ministry):
    with Crowd(stack, "SMG", "paspor_hilang", patience=S3_OUTAGE_SECONDS + 60) as crowd:
        crowd.wait_for_bookings(3)
        stack.stop_s3()
        say(f"stopped S3 for {S3_OUTAGE_SECONDS} s")
        time.sleep(S3_OUTAGE_SECONDS)
        stack.start_s3()
        healed(stack, crowd, "S3 stopped")
        uploads = len(crowd.uploaded)
        wait_until(lambda: len(crowd.uploaded) > uploads, HEAL_SECONDS, what="an upload after S3 returned")
    crowd.check(scheduling_db, ministry, say)


def test_smtp_stopped_then_every_message_owed_is_sent_once(stack, gateway, mailbox, scheduling_db, ministry):
    people = [sign_up(gateway, mailbox) for _ in range(2)]
    with Crowd(stack, "MDN", "paspor_hilang") as crowd:
        crowd.wait_for_bookings(2)
        stack.stop_smtp()
        say("stopped the SMTP server")
        codes = [book_as(gateway, auth) for _, auth in people]
        crowd.wait_for_bookings(3)
        stack.start_smtp()
        healed(stack, crowd, "SMTP stopped")
    for (person, _), code in zip(people, codes, strict=True):
        mailbox.wait_for(lambda m, p=person, c=code: confirmation(m, p, c), timeout=HEAL_SECONDS + 60)
    sent = {p["email"]: len([m for m in mailbox.messages() if confirmation(m, p, c)]) for (p, _), c in
            zip(people, codes, strict=True)}  # fmt: skip
    say(f"confirmations after SMTP returned: {sent}")
    assert set(sent.values()) == {1}, sent
    crowd.check(scheduling_db, ministry, say)


@pytest.mark.broker_restart  # last in the file, so last in the tier: it disturbs every vhost on the machine
@pytest.mark.skipif(not os.path.exists("/usr/sbin/rabbitmqctl"), reason="needs the local RabbitMQ's rabbitmqctl")
def test_rabbitmq_restarted(stack, scheduling_db, ministry):
    """The broker itself stops and starts (every vhost, every connection); it is shared by the machine, so this
    test runs last and only in its own tier."""
    with Crowd(stack, "JKS", "paspor_hilang") as crowd:
        crowd.wait_for_bookings(3)
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
        say("stopped RabbitMQ (rabbitmqctl stop_app)")
        time.sleep(3)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
        subprocess.run(["rabbitmqctl", "await_startup"], check=True, capture_output=True, timeout=120)
        healed(stack, crowd, "RabbitMQ restarted")
    crowd.check(scheduling_db, ministry, say)
    for name in ("gateway", *SERVICES):
        assert stack.procs[name].poll() is None, f"{name} exited instead of reconnecting"


def sign_up(gateway, mailbox):
    person = new_person()
    assert gateway.post("/api/v1/auth/register", json=person).status_code == 201
    otp = code_from_mail(mailbox, person["email"])
    assert gateway.post("/api/v1/auth/verify", json={"email": person["email"], "otp": otp}).status_code == 200
    login = gateway.post("/api/v1/auth/login", json={"email": person["email"], "password": person["password"]})
    assert login.status_code == 200, login.text
    return person, {"Authorization": f"Bearer {login.json()['access_token']}"}


def book_as(gateway, auth):
    slots = gateway.get("/api/v1/offices/MDN/availability", params={"service": "paspor_baru"}).json()
    slot = next(s for s in slots if s["remaining"] > 0)
    created = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": "paspor_baru"},
                           headers={**auth, "Idempotency-Key": os.urandom(8).hex()})  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json()["reservation_code"]


def confirmation(message, person, code):
    return (
        message["To"] == person["email"]
        and message["X-Antre-Message-Type"] == "booking_confirmed"
        and code in (message["Subject"] or "")
    )
