"""The office row is locked FOR NO KEY UPDATE, never FOR UPDATE: every booking and ticket insert at the
office takes KEY SHARE on it (its foreign key check), which FOR UPDATE would block for the whole of a
quota release or capacity change. Here another transaction holds that KEY SHARE meanwhile."""

from contextlib import contextmanager

from nameko.testing.services import entrypoint_hook
from sqlalchemy import text
from sqlalchemy.orm import Session

from antre_common.testing import wait_until
from scheduling import catalogue


@contextmanager
def insert_in_flight(engine, office_code, service_code=None):
    """What an uncommitted booking insert at the office holds: KEY SHARE on the office (and service) row."""
    with engine.connect() as conn:
        tx = conn.begin()
        conn.execute(text("SELECT 1 FROM office WHERE code = :o FOR KEY SHARE"), {"o": office_code})
        if service_code:
            conn.execute(text("SELECT 1 FROM service WHERE code = :s FOR KEY SHARE"), {"s": service_code})
        try:
            yield
        finally:
            tx.rollback()


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_a_ticket_is_issued_while_an_insert_at_the_office_is_in_flight(rpc, engine):
    with insert_in_flight(engine, "JKS"):
        reply = rpc.walk_in.call_async("JKS", {"service_code": "paspor_baru"})
        wait_until(lambda: scalar(engine, "SELECT count(*) FROM ticket") == 1, 5.0)
    assert reply.result()["ticket_number"] == "W001"


def test_a_capacity_change_does_not_wait_for_inserts_at_the_office(rpc, engine):
    with insert_in_flight(engine, "JKS"):
        reply = rpc.update_capacity.call_async("JKS", {"counters": 7})
        wait_until(lambda: scalar(engine, "SELECT counters FROM office WHERE code = 'JKS'") == 7, 5.0)
    assert reply.result()["counters"] == 7


def test_release_is_not_skipped_nor_blocking_while_inserts_are_in_flight(container, engine):
    with engine.begin() as conn:  # one more day is due at JKS
        conn.execute(text("UPDATE office SET released_until = released_until - 1 WHERE code = 'JKS'"))
    with insert_in_flight(engine, "JKS"), entrypoint_hook(container, "release_slots") as release:
        released = release()
    assert list(released) == ["JKS"] and len(released["JKS"]) == 1
    with entrypoint_hook(container, "release_slots") as release:
        assert release() == {}  # nothing due: nothing locked, nothing done


def test_a_replica_loading_the_catalogue_neither_waits_for_nor_blocks_bookings_in_flight(container, engine):
    """A replica starting during a quota release: an upsert of every office and service would lock the rows
    that bookings hold KEY SHARE on (and deadlock with them); the load touches only what changed."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE office SET name = 'renamed' WHERE code = 'JKB'"))
    with insert_in_flight(engine, "JKS", "paspor_hilang"), Session(engine) as session, session.begin():
        session.execute(text("SET LOCAL lock_timeout = '2s'"))  # the old upsert failed here on JKS's row
        offices, services = catalogue.load(session)
    assert offices > 1 and services > 1
    assert scalar(engine, "SELECT name FROM office WHERE code = 'JKB'") != "renamed"
