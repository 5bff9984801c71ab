"""The database dependency on a real PostgreSQL: green I/O, transactions, readiness."""

import time

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from antre_common import db as db_module
from antre_common.db import Database, make_engine
from antre_common.errors import ServiceUnavailable
from antre_common.health import ServiceBase
from antre_common.testing import wait_until


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


def test_readiness_names_the_database_when_it_is_unreachable(container_factory, service_config, internal_client):
    config = dict(service_config, DATABASE_URL="postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    container = container_factory(SleepyService, config)
    container.start()
    response = internal_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]
    assert response.json()["components"]["broker"] == "ok"


def test_ready_when_broker_and_database_answer(container_factory, service_config, internal_client):
    container = container_factory(SleepyService, service_config)
    container.start()
    response = internal_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["components"] == {"broker": "ok", "database": "ok"}
    assert internal_client.get("/healthz").status_code == 200


PAUSE = eventlet.event.Event()


class LedgerService(ServiceBase):
    name = "ledger"
    db = Database()

    @rpc
    def count(self):
        with self.db.transaction() as session:
            return session.execute(text("SELECT 1")).scalar()

    @rpc
    def read(self):
        return self.db.session.execute(text("SELECT 1")).scalar()  # a read outside transaction()

    @rpc
    def read_slowly(self):
        return self.db.session.execute(text("SELECT pg_sleep(5)")).all()

    @rpc
    def read_then_wait(self):
        """A read, then other work (an RPC, the sandbox) while the connection stays in the worker's session."""
        answer = self.db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        PAUSE.wait()
        return answer

    @rpc
    def fail(self):
        with self.db.transaction() as session:
            session.execute(text("SELECT * FROM no_such_table"))


def test_an_unreachable_database_is_a_service_unavailable_not_a_crash(container_factory, service_config):
    """The gateway turns SERVICE_UNAVAILABLE into 503 with Retry-After; anything else would be a 500."""
    config = dict(service_config, DATABASE_URL="postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    container = container_factory(LedgerService, config)
    container.start()
    with entrypoint_hook(container, "count") as count:
        with pytest.raises(ServiceUnavailable) as raised:
            count()
    assert raised.value.params == {"service": "ledger", "component": "database"}
    with entrypoint_hook(container, "read") as read:
        with pytest.raises(ServiceUnavailable):
            read()


def test_a_connection_terminated_under_a_read_is_unavailable_then_replaced(container_factory, service_config):
    """What a PostgreSQL restart looks like from a process: the connection dies under a running query. A read
    outside transaction() reaches the caller as SERVICE_UNAVAILABLE (503), not as the driver's error (500)."""
    container = container_factory(LedgerService, service_config)
    container.start()
    admin = create_engine(service_config["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres")
    database = service_config["DATABASE_URL"].rsplit("/", 1)[1]

    def sleeping():
        with admin.connect() as conn:
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND query LIKE 'SELECT pg_sleep%'"
            return conn.execute(text(query + " AND state = 'active'"), {"d": database}).scalar()

    with entrypoint_hook(container, "read_slowly") as read_slowly, entrypoint_hook(container, "read") as read:
        running = eventlet.spawn(read_slowly)
        wait_until(lambda: sleeping() == 1, 10, what="the read running")
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                         {"d": database})  # fmt: skip
        with pytest.raises(ServiceUnavailable) as raised:
            running.wait()
        assert read() == 1  # the dead connection was discarded; the next read has a fresh one
    admin.dispose()
    assert raised.value.params == {"service": "ledger", "component": "database"}


def test_a_connection_terminated_while_a_worker_holds_it_does_not_kill_the_service(container_factory, service_config):
    """The worker's end rolls back its session; on a connection PostgreSQL terminated meanwhile that fails, and
    a teardown that raised made nameko kill the whole container (the chaos tier's documents stayed down)."""
    global PAUSE
    PAUSE = eventlet.event.Event()
    container = container_factory(LedgerService, service_config)
    container.start()
    with entrypoint_hook(container, "read_then_wait") as read_then_wait, entrypoint_hook(container, "read") as read:
        running = eventlet.spawn(read_then_wait)
        wait_until(lambda: _backend_of(service_config, "ledger"), 10, what="the worker's connection")
        _terminate(service_config["DATABASE_URL"], _backend_of(service_config, "ledger"))
        PAUSE.send()
        assert running.wait()  # its answer was read before the connection died
        assert read() == 1  # the service lives on, with a fresh connection
    assert container._died.ready() is False


def _backend_of(config, application):
    """The pid of the idle-in-transaction backend of the service's database (the waiting worker's)."""
    database = config["DATABASE_URL"].rsplit("/", 1)[1]
    other = create_engine(config["DATABASE_URL"])
    with other.connect() as conn:
        pid = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND state = 'idle in transaction'"
                                " AND pid <> pg_backend_pid()"), {"d": database}).scalar()  # fmt: skip
    other.dispose()
    return pid


def test_a_query_of_its_own_that_fails_stays_that_error(container_factory, service_config):
    container = container_factory(LedgerService, service_config)
    container.start()
    with entrypoint_hook(container, "count") as count:
        assert count() == 1
    with entrypoint_hook(container, "fail") as fail:
        with pytest.raises(ProgrammingError):
            fail()


class HoldingService(ServiceBase):
    name = "holding"
    db = Database()

    @rpc
    def hold(self, seconds):
        with self.db.transaction() as session:
            return session.execute(text("SELECT pg_sleep(:s)"), {"s": seconds}).all() and True

    @rpc
    def count(self):
        with self.db.transaction() as session:
            return session.execute(text("SELECT 1")).scalar()


def test_no_connection_free_in_time_is_a_service_unavailable_counted_and_timed(container_factory, service_config):
    """An exhausted pool answers 503 (via SERVICE_UNAVAILABLE) well inside the caller's deadline, never a
    500 and never a wait past it; the wait and the give-up are in /metrics for the SRE sizing the budget."""
    config = dict(service_config, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT=0.3)
    container = container_factory(HoldingService, config)
    container.start()
    gave_up = REGISTRY.get_sample_value("antre_holding_db_pool_timeouts_total") or 0
    with entrypoint_hook(container, "hold") as hold, entrypoint_hook(container, "count") as count:
        holder = eventlet.spawn(hold, 2)
        wait_until(lambda: REGISTRY.get_sample_value("antre_holding_db_pool_connections_in_use") == 1, 5)
        started = time.perf_counter()
        with pytest.raises(ServiceUnavailable) as raised:
            count()
        waited = time.perf_counter() - started
        assert holder.wait() is True
        assert count() == 1  # the connection is back: the pool serves again
    assert raised.value.params == {"service": "holding", "component": "database"}
    assert 0.3 <= waited < 1.5, waited
    assert REGISTRY.get_sample_value("antre_holding_db_pool_timeouts_total") == gave_up + 1
    assert REGISTRY.get_sample_value("antre_holding_db_pool_wait_seconds_count") >= 3


def _backend_pid(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(url, pid):
    other = create_engine(url)
    with other.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_idle_long_enough_is_pinged_and_a_dead_one_replaced(service_config, monkeypatch):
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 0)  # every connection back in the pool counts as idle
    engine = make_engine(service_config["DATABASE_URL"], pool_size=1, max_overflow=0)
    first = _backend_pid(engine)
    _terminate(service_config["DATABASE_URL"], first)  # the server closes it while it waits in the pool
    assert _backend_pid(engine) != first  # the ping found it dead: a new one, and no error
    engine.dispose()


def test_a_connection_just_back_in_the_pool_is_used_without_a_ping(service_config, monkeypatch):
    """The price of not pinging under load: a connection killed less than PING_IDLE_SECONDS after its last use
    fails its next statement once (the caller answers 503), and the pool gives the retry a new one."""
    monkeypatch.setattr(db_module, "PING_IDLE_SECONDS", 3600)
    engine = make_engine(service_config["DATABASE_URL"], pool_size=1, max_overflow=0)
    first = _backend_pid(engine)
    _terminate(service_config["DATABASE_URL"], first)
    with pytest.raises(DBAPIError) as failed:
        _backend_pid(engine)
    assert failed.value.connection_invalidated
    assert _backend_pid(engine) != first
    engine.dispose()
