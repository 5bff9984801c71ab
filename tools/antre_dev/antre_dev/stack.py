"""The whole suite on one machine: object storage, an SMTP sink, the development bank, the population
registry stand-in, the databases and migrations, the services and the gateway, each as its own process.
``make run`` uses it; so do the system tests and the benchmarks (with free ports, their own vhost and their
own databases, so they never touch a dev stack).

    python -m antre_dev.stack          # foreground; Ctrl-C stops everything
"""

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

from antre_common.migrations import drop_database, ensure_database, upgrade
from antre_dev import registry
from antre_dev.broker import BrokerUsers
from antre_dev.keys import dev_keys

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("identity", "scheduling", "documents", "notification", "payment", "integration")
BIN = Path(sys.executable).parent

DEV_ADMIN_EMAIL = "admin@antre.local"
DEV_ADMIN_PASSWORD = "garuda-pasport-dev-2026"  # noqa: S105 - development default, printed by make run
# The development admin's authenticator secret (base32): add it to an authenticator app (make run prints it),
# or let tests compute codes from it (antre_dev.totp). Production sets ANTRE_ADMIN_TOTP_SECRET from its vault.
DEV_ADMIN_TOTP_SECRET = "ANTREDEVADMINTOTPSECRETJAKARTA22"  # noqa: S105 - development default


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free for a server
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(plus_grpc=False):
    """A free port; with ``plus_grpc`` also port+10000 free (SeaweedFS puts its gRPC ports there)."""
    for _ in range(200):
        # Below Linux's ephemeral range (32768-60999): a part stopped and started again (S3 in the chaos
        # tests) finds its port still free, not taken meanwhile by some process's outgoing connection.
        port = random.randint(20000, 32767 - 10000 if plus_grpc else 32767)
        if port_is_free(port) and (not plus_grpc or port_is_free(port + 10000)):
            return port
    raise RuntimeError("no free port")


class ServiceFailed(RuntimeError):
    """A process of the suite exited or never became ready; the message says why (from its log)."""


def tail(path, lines=15):
    try:
        return "".join(path.read_text(errors="replace").splitlines(keepends=True)[-lines:])
    except OSError:
        return "(no log)"


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except ServiceFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - anything means "not yet"
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout}s (last error: {last!r})")


# Limits a test stack lifts (a test of a limit passes its own through ``env`` or a replica's env). The test
# client stands where the ingress would: its X-Forwarded-For is believed, so tests can act from many addresses.
TEST_LIMITS = {
    "GATEWAY_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
    "ACCOUNTS_PER_PHONE": "1000000",
    "REGISTER_RATE_ADDRESS": "1000000/60",  # identity's own, shared by its replicas; per email stays as set
    "REGISTER_RATE_PHONE": "1000000/60",
    "GATEWAY_RATE_BOOKING": "1000000/60",
    "GATEWAY_RATE_AVAILABILITY": "1000000/60",
    "GATEWAY_RATE_REGISTER": "1000000/60",
    "GATEWAY_RATE_CODES": "1000000/60",
}


@dataclass
class StackConfig:
    var: Path = ROOT / "var"
    amqp_uri: str = "pyamqp://guest:guest@127.0.0.1:5672/"
    rabbit_api: str = "http://guest:guest@127.0.0.1:15672/api"
    vhost: str | None = None  # None: the vhost of amqp_uri; a name: created and deleted by the stack
    pg_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
    db_prefix: str = "antre"
    drop_databases: bool = False
    gateway_port: int = 8000
    service_ports: dict = field(default_factory=lambda: dict(zip(SERVICES, range(8001, 8001 + len(SERVICES)))))
    s3_port: int = 9000
    s3_internal_ports: tuple = (9333, 9340, 8889)  # master, volume, filer
    smtp_port: int = 1025
    bank_port: int = 8011
    registry_port: int = 8010
    start_s3: bool = True
    start_smtp: bool = True
    start_bank: bool = True
    start_registry: bool = True
    env: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls):
        e = os.environ
        return cls(
            var=Path(e.get("ANTRE_VAR", ROOT / "var")),
            amqp_uri=e.get("AMQP_URI", cls.amqp_uri),
            pg_url=e.get("ANTRE_PG_URL", cls.pg_url),
            gateway_port=int(e.get("GATEWAY_PORT", 8000)),
            service_ports={
                s: int(e.get(f"{s.upper()}_PORT", p)) for s, p in zip(SERVICES, range(8001, 8001 + len(SERVICES)))
            },
            s3_port=int(e.get("S3_PORT", 9000)),
            smtp_port=int(e.get("SMTP_PORT", 1025)),
            bank_port=int(e.get("BANK_PORT", 8011)),
            registry_port=int(e.get("REGISTRY_PORT", 8010)),
        )

    @classmethod
    def for_tests(cls, var, **overrides):
        """A stack on free ports with its own vhost and databases. Every client of a test or benchmark is
        127.0.0.1 and many test people share a phone number, so the per-address and per-phone limits are
        lifted (``TEST_LIMITS``); the tests of those limits set their own."""
        tag = uuid.uuid4().hex[:8]
        cfg = cls(
            var=Path(var),
            vhost=f"antre_sys_{tag}",
            db_prefix=f"antre_sys_{tag}",
            drop_databases=True,
            gateway_port=free_port(),
            service_ports={s: free_port() for s in SERVICES},
            s3_port=free_port(plus_grpc=True),
            s3_internal_ports=(free_port(True), free_port(True), free_port(True)),
            smtp_port=free_port(),
            bank_port=free_port(),
            registry_port=free_port(),
        )
        for key, value in overrides.items():
            setattr(cfg, key, value)
        cfg.env = {**TEST_LIMITS, **cfg.env}
        return cfg

    def database_url(self, service):
        return make_url(self.pg_url).set(database=f"{self.db_prefix}_{service}").render_as_string(False)

    @property
    def service_amqp_uri(self):
        if self.vhost is None:
            return self.amqp_uri
        return self.amqp_uri.rsplit("/", 1)[0] + "/" + self.vhost

    @property
    def mail_dir(self):
        return self.var / "mail"

    @property
    def bank_url(self):
        return f"http://127.0.0.1:{self.bank_port}"

    @property
    def registry_url(self):
        return f"http://127.0.0.1:{self.registry_port}"

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    def url_of(self, name):
        port = self.gateway_port if name == "gateway" else self.service_ports[name]
        return f"http://127.0.0.1:{port}"


class Stack:
    def __init__(self, config: StackConfig):
        self.config = config
        self.procs = {}
        self.ports = {"gateway": config.gateway_port, **config.service_ports}
        self.internal_ports = {}  # process key -> its internal port (health, readiness, metrics)
        self.logs = config.var / "log"
        self.broker_users = None  # each process's own broker login (antre_dev.broker), made at start

    # -- infrastructure -----------------------------------------------------------------------------------

    def _spawn(self, name, cmd, cwd=None, env=None, port=None):
        if port is not None and not port_is_free(port):
            raise RuntimeError(f"{name}: port {port} is taken (another stack running?); set its port variable")
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches the stack, which stops children in order
        )
        self.procs[name] = proc
        return proc

    def start_s3(self):
        c = self.config
        data = c.var / "s3"
        data.mkdir(parents=True, exist_ok=True)
        master, volume, filer = c.s3_internal_ports
        self._spawn(
            "s3",
            [
                str(BIN / "weed"), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
                "-master.volumeSizeLimitMB=256", "-s3", f"-s3.port={c.s3_port}",
                "-s3.port.iceberg=0", "-s3.port.lance=0",
            ],
            port=c.s3_port,
        )  # fmt: skip

        def s3_answers():
            r = requests.get(f"http://127.0.0.1:{c.s3_port}/", timeout=1)
            return r.status_code < 500

        wait_for(s3_answers, 60, "S3 (SeaweedFS)")

    def stop_s3(self):
        self.stop_process("s3")

    def start_smtp(self):
        c = self.config
        self._spawn(
            "smtp",
            [str(BIN / "python"), "-m", "antre_dev.smtp_sink", "--port", str(c.smtp_port), "--dir", str(c.mail_dir)],
            port=c.smtp_port,
        )
        wait_for(lambda: not port_is_free(c.smtp_port), 20, "SMTP sink")

    def stop_smtp(self):
        self.stop_process("smtp")

    def start_bank(self):
        """The development payment channel (antre_dev.bank): pays bills and notifies the gateway, signed."""
        c = self.config
        secrets = self.env()["PAYMENT_CHANNEL_SECRETS"]
        self._spawn(
            "bank",
            [str(BIN / "python"), "-m", "antre_dev.bank", "--port", str(c.bank_port), "--gateway", c.gateway_url,
             "--secrets", secrets],
            port=c.bank_port,
        )  # fmt: skip
        wait_for(lambda: requests.get(f"{c.bank_url}/healthz", timeout=1).ok, 20, "the development bank")

    def start_registry(self):
        """The population registry stand-in (antre_dev.registry). Sets ``REGISTRY_URL`` in this process too,
        so test helpers (tests/system/people.py) and benchmarks add their residents to it."""
        c = self.config
        self._spawn(
            "registry", [str(BIN / "python"), "-m", "antre_dev.registry", "--port", str(c.registry_port)],
            port=c.registry_port,
        )  # fmt: skip
        wait_for(lambda: requests.get(f"{c.registry_url}/healthz", timeout=1).ok, 20, "population registry")
        os.environ["REGISTRY_URL"] = c.registry_url

    def stop_registry(self):
        self.stop_process("registry")

    def prepare_vhost(self):
        """The stack's vhost (tests, benchmarks), where the stack's own login keeps every right for the tests'
        direct look at the bus; then a broker user per process with only what it needs (docs/security.md)."""
        c = self.config
        if c.vhost:
            requests.put(f"{c.rabbit_api}/vhosts/{c.vhost}", timeout=10).raise_for_status()
            user = make_url(c.amqp_uri.replace("pyamqp", "amqp")).username or "guest"
            requests.put(
                f"{c.rabbit_api}/permissions/{c.vhost}/{user}",
                json={"configure": ".*", "write": ".*", "read": ".*"},
                timeout=10,
            ).raise_for_status()
        vhost = c.vhost or (c.amqp_uri.rsplit("/", 1)[1] or "/")
        self.broker_users = BrokerUsers(c.rabbit_api, vhost, prefix=c.vhost or "antre-dev").create()

    def prepare_databases(self):
        for service in SERVICES:
            url = self.config.database_url(service)
            ensure_database(url)
            upgrade(ROOT / "services" / service, url)

    # -- the suite -----------------------------------------------------------------------------------------

    def env(self):
        c = self.config
        keys = dev_keys(c.var / "keys")
        return {
            "AMQP_URI": c.service_amqp_uri,
            "S3_ENDPOINT": f"127.0.0.1:{c.s3_port}",
            "S3_ACCESS_KEY": os.environ.get("S3_ACCESS_KEY", "antre"),
            "S3_SECRET_KEY": os.environ.get("S3_SECRET_KEY", "antre-dev-secret"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(c.smtp_port),
            "REGISTRY_URL": c.registry_url,
            "REGISTRY_USER": os.environ.get("REGISTRY_USER", registry.DEV_USER),
            "REGISTRY_PASSWORD": os.environ.get("REGISTRY_PASSWORD", registry.DEV_PASSWORD),
            "SMS_OUTBOX_PATH": str(c.var / "sms" / "messages.jsonl"),
            "CHECK_URL": f"http://127.0.0.1:{c.gateway_port}/check",  # where messages say to check their code
            "PAYMENT_CHANNEL_SETTLEMENT_URL": f"{c.bank_url}/settlements",
            "DOCUMENTS_UPLOAD_URL": c.url_of("documents"),  # the gateway streams uploads to documents' port
            "ANTRE_ADMIN_EMAIL": os.environ.get("ANTRE_ADMIN_EMAIL", DEV_ADMIN_EMAIL),
            "ANTRE_ADMIN_PASSWORD": os.environ.get("ANTRE_ADMIN_PASSWORD", DEV_ADMIN_PASSWORD),
            "ANTRE_ADMIN_TOTP_SECRET": os.environ.get("ANTRE_ADMIN_TOTP_SECRET", DEV_ADMIN_TOTP_SECRET),
            **keys,
            **c.env,
        }

    def start_service(self, name, wait=True, replica=None, env=None):
        """Start one process of ``name``; ``replica="b"`` starts another one beside it (its own free port,
        logs and process key ``name-b``), as a second pod of a Deployment would."""
        c = self.config
        key = name if replica is None else f"{name}-{replica}"
        port = c.gateway_port if name == "gateway" else c.service_ports[name]
        if replica is not None:
            port = free_port()
        internal = free_port()  # /healthz, /readyz, /metrics: never on the public port (antre_common.web)
        extra_env, env = env, dict(self.env(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
        env["INTERNAL_SERVER_ADDRESS"] = f"127.0.0.1:{internal}"
        if self.broker_users is not None:
            env["AMQP_URI"] = self.broker_users.amqp_uri(name, c.service_amqp_uri)
        if name == "gateway":
            cwd, module = ROOT / "gateway", "gateway.service:GatewayService"
        else:
            env["DATABASE_URL"] = c.database_url(name)
            cwd, module = ROOT / "services" / name, f"{name}.service:{name.capitalize()}Service"
        cmd = [str(BIN / "nameko"), "run", "--config", "config.yaml", module]
        self._spawn(key, cmd, cwd=cwd, env={**env, **(extra_env or {})}, port=port)
        self.ports[key] = port
        self.internal_ports[key] = internal
        if wait:
            self.wait_ready(key)
        return key

    def internal_url(self, key):
        """Where a running process answers /healthz, /readyz and /metrics (its internal port)."""
        return f"http://127.0.0.1:{self.internal_ports[key]}"

    def wait_ready(self, key, timeout=60):
        """Wait for ``/readyz`` of a process; fail at once if it exits, and with its readiness answer and the
        end of its log if it never becomes ready (the reason is there, not in a bare timeout)."""
        url = f"{self.internal_url(key)}/readyz"
        log_file = self.logs / f"{key}.log"
        last = {}

        def ready():
            proc = self.procs[key]
            if proc.poll() is not None:
                raise ServiceFailed(f"{key} exited with {proc.returncode}:\n{tail(log_file)}")
            response = requests.get(url, timeout=2)
            last["answer"] = response.text[:500]
            return response.status_code == 200

        try:
            wait_for(ready, timeout, key)
        except TimeoutError as exc:
            raise ServiceFailed(
                f"{key} not ready after {timeout}s; /readyz said {last.get('answer')}\n{tail(log_file)}"
            ) from exc

    def start(self, say=lambda msg: None):
        c = self.config
        self.prepare_vhost()
        if c.start_s3:
            say(f"starting S3 on :{c.s3_port}")
            self.start_s3()
        if c.start_smtp:
            say(f"starting the SMTP sink on :{c.smtp_port}")
            self.start_smtp()
        if c.start_registry:
            say(f"starting the population registry stand-in on :{c.registry_port}")
            self.start_registry()
        say("creating databases and running migrations")
        self.prepare_databases()
        if c.start_bank:
            say(f"starting the development bank on :{c.bank_port}")
            self.start_bank()
        say("starting the services and the gateway")
        for name in (*SERVICES, "gateway"):
            self.start_service(name, wait=False)
        for name in (*SERVICES, "gateway"):
            self.wait_ready(name)
        return self

    def stop_process(self, name, timeout=15):
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self):
        replicas = [key for key in self.procs if key not in (*SERVICES, "gateway", "bank", "registry", "smtp", "s3")]
        for name in ("bank", "gateway", *replicas, *SERVICES, "registry", "smtp", "s3"):
            self.stop_process(name)
        c = self.config
        if c.drop_databases:
            for service in SERVICES:
                drop_database(c.database_url(service))
        if c.vhost:
            requests.delete(f"{c.rabbit_api}/vhosts/{c.vhost}", timeout=10)
        if self.broker_users is not None:
            self.broker_users.delete()

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def main():
    config = StackConfig.from_env()
    stack = Stack(config)
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start(say=lambda msg: print(msg, flush=True))
        env = stack.env()
        print("\nAntre is running:")
        print(f"  gateway        {config.gateway_url}   (API under /api/v1, contract at /api/v1/openapi.json)")
        for name in SERVICES:
            print(f"  {name:<14} {config.url_of(name)}   (/healthz /readyz /metrics at {stack.internal_url(name)})")
        print(f"  S3             http://127.0.0.1:{config.s3_port}   (data in {config.var / 's3'})")
        print(f"  SMTP sink      127.0.0.1:{config.smtp_port}   (mail in {config.mail_dir})")
        print(f"  bank           {config.bank_url}   (POST /pay {{billing_code}}: pays and notifies, signed)")
        print(f"  registry       {config.registry_url}   (synthetic population; POST /residents adds one)")
        print(f"  logs           {stack.logs}")
        print(f"  admin          {env['ANTRE_ADMIN_EMAIL']} / {env['ANTRE_ADMIN_PASSWORD']} (development default)")
        print(f"  admin's TOTP   secret {env['ANTRE_ADMIN_TOTP_SECRET']} (add it to an authenticator app)")
        print("Ctrl-C stops everything.", flush=True)
        while True:
            for name, proc in list(stack.procs.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {stack.logs / (name + '.log')}", flush=True)
                    stack.procs.pop(name)
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    except ServiceFailed as exc:  # make run fails fast, with the reason from the process's own log
        print(f"\nAntre did not start: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    main()
