"""The database dependency: one engine per process, one session per worker, the outbox written in the same
transaction as the change it reports.

Commit is explicit (``with self.db.transaction() as session``) rather than at the end of the worker: nameko
sends an RPC reply before dependencies see the worker's result, so a commit there could fail after the
caller was told "done".
"""

import logging
import time
from contextlib import contextmanager

import eventlet
import psycopg2
import psycopg2.errors
from nameko.extensions import DependencyProvider
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as SqlTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from antre_common.context import REQUEST_ID_KEY, caller_gave_up
from antre_common.envelope import cloud_event, make_envelope, utcnow
from antre_common.errors import ServiceUnavailable
from antre_common.metrics import metric, service_metric_name
from antre_common.outbox import INTEGRATION_EXCHANGE, OutboxRelay
from antre_common.tracing import TRACEPARENT_KEY, current_traceparent, instrument_engine

log = logging.getLogger(__name__)
_patched = False


def postgres_url(url):
    """``postgresql://`` (as managed databases and CloudNativePG write it) means psycopg2 here: SQLAlchemy 2.1
    would pick psycopg 3, which is not installed."""
    url = make_url(url)
    return url.set(drivername="postgresql+psycopg2") if url.drivername == "postgresql" else url


# A pooled connection idle longer than this is pinged before use (a restarted or failed-over database, a
# connection dropped by a proxy). One back in the pool for less is used as it is: under load every
# transaction would otherwise pay a round trip (SELECT 1) on both sides before its first statement. If such a
# connection is dead after all, the transaction fails as "database unavailable" (503, Retry-After) and the
# pool drops every connection older than the failure, so the retry gets a live one.
PING_IDLE_SECONDS = 2.0


def make_engine(url, **kwargs):
    """An engine whose psycopg2 connections wait on the eventlet hub instead of blocking the process, and
    are pinged before use when they have been idle (``PING_IDLE_SECONDS``)."""
    global _patched
    if not _patched:
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
        _patched = True
    engine = create_engine(postgres_url(url), future=True, **kwargs)

    def ping_if_idle(dbapi_connection, record, proxy):
        """SQLAlchemy's pessimistic disconnect handling (its own ping), for idle connections only: a dead one
        raises ``DisconnectionError``, on which the pool replaces it and checks out again."""
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is not None and time.monotonic() - checked_in_at < PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg2.Error as exc:  # closed by the server, a proxy, a failover
            raise DisconnectionError(type(exc).__name__) from exc

    event.listen(engine, "connect", _note_checkin)  # a connection just made needs no ping
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", ping_if_idle)
    return engine


def _note_checkin(dbapi_connection, record):
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def metered_pool(service):
    """A QueuePool class that reports, for ``service``, how long checkouts wait and how many give up: with
    the connections in use (``Database.setup``), the signals of a connection budget that is too small. A
    class per service because SQLAlchemy recreates the pool from its class after ``dispose()``."""
    wait = metric(
        Histogram,
        service_metric_name(service, "db_pool_wait_seconds"),
        "Time a worker waited for a database connection from the pool (connecting included).",
        buckets=(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5),
    )
    timeouts = metric(
        Counter,
        service_metric_name(service, "db_pool_timeouts_total"),
        "Checkouts that found no connection within DB_POOL_TIMEOUT (answered 503).",
    )

    class MeteredQueuePool(QueuePool):
        def _do_get(self):
            started = time.perf_counter()
            try:
                return super()._do_get()
            except SqlTimeout as exc:  # raised here, so a read outside db.transaction() is a 503 too
                timeouts.inc()
                raise ServiceUnavailable("no database connection free", service=service, component="database") from exc
            finally:
                wait.observe(time.perf_counter() - started)

    return MeteredQueuePool


def _database_unreachable(exc):
    """Refused, dropped or no pool connection in time; not a query's own error (constraint, syntax…)."""
    if isinstance(exc, SqlTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    return _operational(exc.orig)


def _operational(error):
    # A deadlock or serialization failure is the query's own outcome, not the database being away.
    return isinstance(error, psycopg2.OperationalError) and not isinstance(
        error, psycopg2.errors.TransactionRollbackError
    )


def retry_rolled_back(work, attempts=5, first_wait=0.2):
    """``work()``, again (with a growing wait) when PostgreSQL rolled it back for a deadlock or a
    serialization failure: for start-up work that meets live traffic, where giving up means exiting."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts or not isinstance(exc.orig, psycopg2.errors.TransactionRollbackError):
                raise
            log.warning(
                "rolled back by the database, retrying", extra={"attempt": attempt, "error": type(exc.orig).__name__}
            )
            eventlet.sleep(first_wait * 2 ** (attempt - 1))


class DbHandle:
    """What a worker sees as ``self.db``."""

    def __init__(self, provider, worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self._session = None
        self._events = []  # outbox rows of the open transaction, written together just before its commit
        self._in_transaction = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._provider.sessionmaker()
        return self._session

    @contextmanager
    def transaction(self):
        """Commit what the block did, or roll it all back; wake the outbox relay after a commit with events.

        An RPC whose caller's deadline has passed is rolled back instead (``ServiceUnavailable``); so is one
        whose database cannot be reached or has no connection free in time: the caller answers 503, never 500."""
        session = self.session
        self._in_transaction = True
        try:
            yield session
            if self._events:
                # One multi-row INSERT, without the ORM's unit of work: every booking writes two rows here.
                session.execute(insert(self._provider.outbox_model.__table__), self._events)
            if caller_gave_up(self._worker_ctx):
                # The caller already answered "unavailable": committing now would change state behind its back.
                raise ServiceUnavailable("the caller's deadline passed before the commit")
            session.commit()
        except BaseException as exc:
            self._events = []
            try:
                session.rollback()
            except DBAPIError:
                pass  # the connection is gone: nothing to roll back, the pool discards it
            if _database_unreachable(exc):
                service = getattr(self._worker_ctx, "service_name", None)
                raise ServiceUnavailable("database unavailable", service=service, component="database") from exc
            raise
        finally:
            self._in_transaction = False
        if self._events:
            self._events = []
            self._provider.relay.kick()

    def add_event(self, event_type, data, *, exchange=None, payload=None):
        """Queue an event to publish once the current transaction (``transaction()``) commits.

        ``payload`` replaces the standard envelope (CloudEvents for the integration exchange). The rows are
        written when the block ends, so a query inside the transaction does not see them, and a savepoint
        rolled back inside the block does not take its events with it."""
        if not self._in_transaction:
            raise RuntimeError("add_event outside db.transaction(): the event would never be written")
        request_id = self._worker_ctx.context_data.get(REQUEST_ID_KEY)
        envelope = payload or make_envelope(event_type, data, request_id)
        event_id = envelope.get("event_id") or envelope["id"]
        # The trace travels inside the stored row (no column, no migration); the relay takes it out again and
        # sends it as a message header, so what is published is the envelope as built.
        traceparent = current_traceparent()
        stored = {**envelope, TRACEPARENT_KEY: traceparent} if traceparent else envelope
        self._events.append(
            {
                "event_id": event_id,
                "exchange": exchange,
                "event_type": event_type,
                "payload": stored,
                "request_id": request_id,
                "created_at": utcnow(),
                "published_at": None,
            }
        )
        return envelope

    def add_integration_event(self, source, ce_type, data):
        """Queue a CloudEvent for other ministries (``antre.integration``), as ``add_event`` does."""
        return self.add_event(ce_type, data, exchange=INTEGRATION_EXCHANGE, payload=cloud_event(source, ce_type, data))

    def first_delivery(self, envelope, consumer):
        """True the first time ``consumer`` sees this event; call inside the transaction that handles it."""
        model = self._provider.processed_model
        stmt = pg_insert(model).values(event_id=envelope["event_id"], consumer=consumer).on_conflict_do_nothing()
        return self.session.execute(stmt).rowcount == 1

    def close(self):
        """At the worker's end. A connection PostgreSQL has terminated cannot roll back: the pool discards it,
        and the error must not escape, or nameko kills the whole container for a teardown that raised."""
        if self._session is None:
            return
        session, self._session = self._session, None
        try:
            session.rollback()
        except (DBAPIError, ServiceUnavailable):
            log.info("rollback at worker end failed: the connection is gone")
        finally:
            try:
                session.close()
            except (DBAPIError, ServiceUnavailable):
                pass


class Database(DependencyProvider):
    """``db = Database(OutboxEvent, ProcessedEvent)``; config ``DATABASE_URL``, ``DB_POOL_SIZE``,
    ``DB_MAX_OVERFLOW``, ``DB_POOL_TIMEOUT`` (the connection budget: deploy/k8s/README.md "Sizing")."""

    relay = OutboxRelay()
    readiness_name = "database"

    def __init__(self, outbox_model=None, processed_model=None):
        self.outbox_model = outbox_model
        self.processed_model = processed_model
        self.handles = {}

    def setup(self):
        config = self.container.config
        self.engine = make_engine(
            config["DATABASE_URL"],
            poolclass=metered_pool(self.container.service_name),
            pool_size=int(config.get("DB_POOL_SIZE", 5)),
            max_overflow=int(config.get("DB_MAX_OVERFLOW", 15)),
            # Well inside the callers' RPC deadline (5 s): a worker that cannot get a connection answers 503
            # SERVICE_UNAVAILABLE while its caller still listens, instead of a timeout after it gave up.
            pool_timeout=float(config.get("DB_POOL_TIMEOUT", 3)),
        )
        in_use = metric(
            Gauge,
            service_metric_name(self.container.service_name, "db_pool_connections_in_use"),
            "Database connections checked out of the pool now.",
        )
        in_use.set_function(lambda: self.engine.pool.checkedout())  # the pool is replaced on dispose()
        service = self.container.service_name

        @event.listens_for(self.engine, "handle_error")
        def unreachable(context):
            """A database refused, dropped or away is SERVICE_UNAVAILABLE wherever the query was made (a read
            outside ``transaction()`` too), so the caller answers 503; the pool's pre-ping keeps its own."""
            if context.is_pre_ping:
                return
            if context.is_disconnect or _operational(context.original_exception):
                raise ServiceUnavailable("database unavailable", service=service, component="database")

        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        instrument_engine(self.engine, self.container.service_name)
        if self.outbox_model is not None:
            self.relay.register(self.sessionmaker, self.outbox_model)

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        handle = self.handles[worker_ctx] = DbHandle(self, worker_ctx)
        return handle

    def worker_teardown(self, worker_ctx):
        handle = self.handles.pop(worker_ctx, None)
        if handle is not None:
            handle.close()

    def ready(self):
        """Readiness: the database answers a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
