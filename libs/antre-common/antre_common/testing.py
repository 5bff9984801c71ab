"""pytest fixtures shared by every service's tests (installed as a pytest plugin with antre-common).

Service tests run real entrypoints against real RabbitMQ (a vhost per test, from nameko's plugin) and a
real PostgreSQL database per test, cloned from a template that the service's migrations built once.
"""

import warnings

# eventlet announces its maintenance mode on import; nameko 2.14 is built on it (DESIGN.md).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # as ``nameko run`` does; must precede the imports below

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from antre_common.migrations import drop_database, ensure_database, upgrade  # noqa: E402
from antre_common.waiting import wait_until  # noqa: E402, F401 - the wait helper of every tier

PG_URL = os.environ.get("ANTRE_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def database_url(name):
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


class DatabaseFactory:
    """Migrates one template database per service per test session; each test gets a clone of it."""

    def __init__(self):
        self.templates = {}
        self.created = []
        self.tag = uuid.uuid4().hex[:8]

    def template(self, service_dir):
        key = str(service_dir)
        if key not in self.templates:
            name = f"antre_tmpl_{os.path.basename(key.rstrip('/'))}_{self.tag}"
            url = database_url(name)
            drop_database(url)
            ensure_database(url)
            upgrade(service_dir, url)
            self.templates[key] = name
            self.created.append(url)
        return self.templates[key]

    def __call__(self, service_dir):
        template = self.template(service_dir)
        url = database_url(f"antre_test_{uuid.uuid4().hex[:12]}")
        ensure_database(url, template=template)
        self.created.append(url)
        return url

    def drop_all(self):
        for url in reversed(self.created):
            drop_database(url)


@pytest.fixture(scope="session")
def database_factory():
    """``url = database_factory(path_to_service_dir)``: a fresh, migrated database for one test."""
    factory = DatabaseFactory()
    yield factory
    factory.drop_all()


@pytest.fixture
def service_config(rabbit_config, web_config, database_factory, service_dir):
    """A nameko config for one service under test: its own vhost, web port and migrated database.

    Each service's ``tests/conftest.py`` defines ``service_dir`` (the folder holding ``migrations/``)."""
    from nameko.testing.utils import find_free_port

    return {
        **rabbit_config,
        **web_config,
        "INTERNAL_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}",  # health, readiness, metrics
        "DATABASE_URL": database_factory(service_dir),
        "RPC_TIMEOUT_SECONDS": 5,
        "OUTBOX_POLL_SECONDS": 0.2,
    }


@pytest.fixture
def db(service_config):
    """A SQLAlchemy engine on the database of the service under test, to look at what it really wrote."""
    from sqlalchemy import create_engine

    engine = create_engine(service_config["DATABASE_URL"])
    yield engine
    engine.dispose()


class S3Server:
    """A SeaweedFS S3 endpoint on free ports (``antre_dev.stack``); ``stop()``/``start()`` simulate an outage."""

    def __init__(self, var):
        from antre_dev.stack import Stack, StackConfig

        self.stack = Stack(StackConfig.for_tests(var))
        self.endpoint = f"127.0.0.1:{self.stack.config.s3_port}"
        self.data_dir = self.stack.config.var / "s3"

    def config(self, bucket):
        """The ``S3_*`` keys of a nameko config for this store."""
        return {
            "S3_ENDPOINT": self.endpoint,
            "S3_ACCESS_KEY": "antre",
            "S3_SECRET_KEY": "antre-test",
            "S3_BUCKET": bucket,
        }

    def start(self):
        self.stack.start_s3()

    def stop(self):
        self.stack.stop_s3()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 store for service tests, one per session::

    def test_upload(s3_server, service_config, container_factory):
        config = {**service_config, **s3_server.config("my-bucket")}
    """
    server = S3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    yield server
    server.stop()


class HttpClient:
    """``requests`` against a base URL (nameko's ``web_session`` needs a werkzeug older than ours)."""

    def __init__(self, base_url):
        import requests

        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)


@pytest.fixture
def http_client(web_config_port):
    """Talks to the HTTP entrypoints of the container under test."""
    return HttpClient(f"http://127.0.0.1:{web_config_port}")


@pytest.fixture
def internal_client(service_config):
    """Talks to the internal port of the container under test (/healthz, /readyz, /metrics)."""
    return HttpClient(f"http://{service_config['INTERNAL_SERVER_ADDRESS']}")


class SmtpSink:
    """A real SMTP server in its own process (``antre_dev.smtp_sink``) that keeps each mail as a ``.eml``
    file; ``stop()`` and ``start()`` it to test an outage (it comes back on the same port).

        def test_mail(smtp_sink):
            host, port, mail_dir = smtp_sink
            ...send to host:port...
            [msg] = smtp_sink.wait_for(lambda m: m["To"] == "a@example.com")
    """

    def __init__(self, mail_dir, host="127.0.0.1", tls=None, user=None, password=None, auth="LOGIN,PLAIN"):
        """``tls=(cert_file, key_file)``: STARTTLS required; ``user``/``password``: AUTH required (``auth``
        mechanisms offered), like a production relay."""
        import socket

        self.host, self.mail_dir, self.proc = host, mail_dir, None
        self.options, self.password = [], password
        if tls:
            self.options += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        if user:
            self.options += ["--user", user, "--auth", auth]
        with socket.socket() as s:
            s.bind((host, 0))
            self.port = s.getsockname()[1]

    def __iter__(self):
        return iter((self.host, self.port, self.mail_dir))

    def _listening(self):
        import socket

        with socket.socket() as s:
            return s.connect_ex((self.host, self.port)) == 0

    def start(self, timeout=20):
        import subprocess
        import sys
        import time

        cmd = [sys.executable, "-m", "antre_dev.smtp_sink", "--host", self.host, "--port", str(self.port)]
        env = {**os.environ, "SMTP_SINK_PASSWORD": self.password or ""}
        self.proc = subprocess.Popen(
            [*cmd, "--dir", str(self.mail_dir), *self.options], stdout=subprocess.DEVNULL, env=env
        )
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"SMTP sink did not start on {self.host}:{self.port}")
            time.sleep(0.1)
        return self

    def stop(self):
        import subprocess

        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def messages(self):
        import email
        import email.policy

        files = sorted(self.mail_dir.glob("*.eml"))
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]

    def wait_for(self, predicate, timeout=20, count=1):
        """At least ``count`` mails matching ``predicate`` within ``timeout`` seconds, else AssertionError."""

        def found():
            matching = [m for m in self.messages() if predicate(m)]
            return matching if len(matching) >= count else None

        return wait_until(found, timeout, what=f"{count} matching mail(s)")


@pytest.fixture
def smtp_sink(tmp_path):
    """A running SMTP sink for one test; unpacks as ``(host, port, mail_dir)``."""
    sink = SmtpSink(tmp_path / "mail").start()
    yield sink
    sink.stop()


def error_code(call, *args, **kwargs):
    """The stable code of the ServiceError an RPC raised (fails the test when it succeeded)::

    assert error_code(proxy.scheduling.create_booking, booking) == "SLOT_FULL"
    """
    from nameko.exceptions import RemoteError

    from antre_common.errors import parse_remote

    with pytest.raises(RemoteError) as info:
        call(*args, **kwargs)
    doc = parse_remote(info.value.value)
    assert doc is not None, info.value
    return doc["code"]


class RelayLessRole:
    """A database role that may write the outbox but not mark it published: a process running as it commits
    changes with their events and then cannot relay them, as if it died between the two steps::

        with RelayLessRole(engine, config["DATABASE_URL"]) as url:
            doomed = container_factory(MyService, dict(config, DATABASE_URL=url))
    """

    def __init__(self, engine, database_url):
        from sqlalchemy import text

        self.text = text
        self.engine = engine
        self.database_url = database_url
        self.role = f"antre_norelay_{uuid.uuid4().hex[:8]}"

    def __enter__(self):
        text, role = self.text, self.role
        database = make_url(self.database_url).database
        with self.engine.begin() as db:
            db.execute(text(f"CREATE ROLE {role} LOGIN"))
            db.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
            db.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
            db.execute(text(f"REVOKE UPDATE, DELETE ON outbox FROM {role}"))
        return make_url(self.database_url).set(username=role).render_as_string(hide_password=False)

    def __exit__(self, *exc):
        text, role = self.text, self.role
        with self.engine.begin() as db:
            db.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role})
            db.execute(text(f"DROP OWNED BY {role}"))
            db.execute(text(f"DROP ROLE {role}"))


def wal_position(conn):
    """Where PostgreSQL's write-ahead log ends now (``wal_since`` reads from there)."""
    return conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar()


def wal_since(conn, start):
    """The bytes of the write-ahead log from ``start`` to what is flushed now, every database of the cluster:
    what streaming replicas and WAL archives (backups) receive. For tests that a secret never reaches the
    disk in the clear. Needs a superuser (``pg_read_binary_file``), as the test cluster's ``postgres``."""
    end = conn.exec_driver_sql("SELECT pg_current_wal_flush_lsn()::text").scalar()
    size = conn.exec_driver_sql("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'").scalar()
    where = "SELECT file_name, file_offset FROM pg_walfile_name_offset(%(lsn)s::pg_lsn)"
    position, chunks = start, []
    while True:
        name, offset = conn.exec_driver_sql(where, {"lsn": position}).one()
        end_name, end_offset = conn.exec_driver_sql(where, {"lsn": end}).one()
        length = (end_offset if name == end_name else size) - offset
        read = "SELECT pg_read_binary_file(%(path)s, %(offset)s, %(length)s)"
        chunks.append(
            bytes(conn.exec_driver_sql(read, {"path": f"pg_wal/{name}", "offset": offset, "length": length}).scalar())
        )
        if name == end_name:
            return b"".join(chunks)
        position = conn.exec_driver_sql(
            "SELECT (%(lsn)s::pg_lsn + %(n)s)::text", {"lsn": position, "n": size - offset}
        ).scalar()


class TestTokens:
    """A signing key of the test's own and access tokens made as identity makes them (antre_common.auth):
    ``config`` holds ``JWT_PUBLIC_KEY`` for the service under test; ``context(principal)`` is the RPC context
    data the gateway would send for that person (``principal``: ``user_id``, ``role``, ``office_code``)."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.private_key = Ed25519PrivateKey.generate()
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.config = {"JWT_PUBLIC_KEY": public.decode()}

    def token(self, principal, ttl=300, key=None, **claims):
        import time
        import uuid

        import jwt

        from antre_common.auth import AUDIENCE, ISSUER

        now = int(time.time())
        payload = {"typ": "access", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl,
                   "jti": uuid.uuid4().hex, "sub": principal["user_id"], "role": principal["role"]}  # fmt: skip
        if principal.get("office_code"):
            payload["office"] = principal["office_code"]
        payload.update(claims)
        return jwt.encode(payload, key or self.private_key, algorithm="EdDSA")

    def context(self, principal, caller="gateway", **token_claims):
        from antre_common.auth import ACCESS_TOKEN_KEY, CALLER_KEY

        data = {CALLER_KEY: caller} if caller else {}
        if principal is not None:
            data[ACCESS_TOKEN_KEY] = self.token(principal, **token_claims)
        return data


@pytest.fixture(scope="session")
def test_tokens():
    return TestTokens()


# Scheduling's citizen's calls and where they name the citizen: ``user_id`` of their dict, or their first
# argument (docs/security.md).
SCHEDULING_USER_IN_DICT = ("create_booking", "cancel_booking", "reschedule_booking", "queue_place",
                           "join_waitlist", "waitlist_action")  # fmt: skip
SCHEDULING_USER_ARG = ("list_bookings", "my_waitlist")
# Scheduling's office-floor calls (service_floor.py): staff of the office only.
SCHEDULING_FLOOR = (
    "check_in", "walk_in", "call_next", "ticket_step", "ticket_move", "office_bookings", "office_quotas",
    "declare_disruption", "office_queue", "office_forecast", "office_stats", "update_capacity", "create_release",
)  # fmt: skip


class SchedulingAsGateway:
    """A standalone proxy of scheduling whose citizen's calls carry, as the gateway's do, the access token of
    the citizen they name (an office action without one: an admin's) in the RPC context."""

    def __init__(self, proxy, tokens):
        self._proxy, self._tokens = proxy, tokens

    def __getattr__(self, name):
        method = getattr(self._proxy, name)
        if name in SCHEDULING_FLOOR:
            return StaffCall(self._proxy, method, name, self._tokens)
        if name not in SCHEDULING_USER_IN_DICT + SCHEDULING_USER_ARG:
            return method
        return CitizenCall(self._proxy, method, name, self._tokens)


class CitizenCall:
    """A method of the proxy, called (or ``call_async``) with the token of the citizen its arguments name."""

    def __init__(self, proxy, method, name, tokens):
        self._proxy, self._method, self._name, self._tokens = proxy, method, name, tokens

    def _sign(self, args):
        from antre_common.auth import ACCESS_TOKEN_KEY

        first = args[0] if args else None
        user_id = first if self._name in SCHEDULING_USER_ARG else None
        if isinstance(first, dict):
            user_id = first.get("user_id")
        who = {"user_id": str(user_id), "role": "citizen"}
        if not user_id:  # an office action (or a malformed call): an admin's token
            who = {"user_id": str(uuid.uuid4()), "role": "admin"}
        # Read when the request is published, before this green thread can yield to another caller.
        self._proxy.worker_ctx.data[ACCESS_TOKEN_KEY] = self._tokens.token(who)

    def __call__(self, *args, **kwargs):
        self._sign(args)
        return self._method(*args, **kwargs)

    def call_async(self, *args, **kwargs):
        self._sign(args)
        return self._method.call_async(*args, **kwargs)


class StaffCall(CitizenCall):
    """An office-floor call with a staff token: the staff member a request names (``user_id``) or a new one; a
    supervisor of the office a ticket request names (``office_code``), else an admin (every office)."""

    def _sign(self, args):
        from antre_common.auth import ACCESS_TOKEN_KEY

        request = next((a for a in args if isinstance(a, dict)), {})
        who = {"user_id": str(request.get("user_id") or uuid.uuid4()), "role": "admin"}
        if self._name in ("ticket_step", "ticket_move") and request.get("office_code"):
            who.update(role="supervisor", office_code=request["office_code"])
        self._proxy.worker_ctx.data[ACCESS_TOKEN_KEY] = self._tokens.token(who)
