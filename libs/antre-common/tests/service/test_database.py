"""The database dependency on a real PostgreSQL: green I/O, transactions, readiness."""

import time

import eventlet
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from sqlalchemy import text

from antre_common.db import Database
from antre_common.health import ServiceBase


class SleepyService(ServiceBase):
    name = "sleepy"
    db = Database()

    @rpc
    def slow_query(self):
        return self.db.session.execute(text("SELECT pg_sleep(0.5)")).all() and True


def test_two_slow_queries_in_one_process_overlap(container_factory, service_config):
    """psycopg2 is a C driver: unpatched, each query would block the whole eventlet hub."""
    container = container_factory(SleepyService, service_config)
    container.start()
    with entrypoint_hook(container, "slow_query") as slow_query:
        slow_query()  # warm the pool: connecting is not what we measure
        started = time.perf_counter()
        pool = eventlet.GreenPool()
        results = list(pool.imap(lambda _: slow_query(), range(2)))
        elapsed = time.perf_counter() - started
    assert results == [True, True]
    assert elapsed < 0.8, f"two 0.5 s queries took {elapsed:.2f} s: the driver blocks eventlet"


def test_readiness_names_the_database_when_it_is_unreachable(container_factory, service_config, http_client):
    config = dict(service_config, DATABASE_URL="postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    container = container_factory(SleepyService, config)
    container.start()
    response = http_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["components"]["broker"] == "ok"


def test_ready_when_broker_and_database_answer(container_factory, service_config, http_client):
    container = container_factory(SleepyService, service_config)
    container.start()
    response = http_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["components"] == {"broker": "ok", "database": "ok"}
    assert http_client.get("/healthz").status_code == 200
