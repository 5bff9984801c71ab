"""What a booking costs in CPU, per part of the suite and in total, as a ratio of the bare nameko HTTP→RPC
echo's CPU per request, measured in the same run on the same machine.

    python -m bench booking_cost        # BOOKING_COST_CLIENTS=32 BOOKING_COST_BOOKINGS=600 by default

Method (also written into the report):

1. The suite's benchmark stack (``running_suite``: every service, the gateway, the SMTP sink and S3 as
   processes on a vhost and databases of their own) with the echo pair beside it.
2. Citizens are registered and signed in through the gateway *before* anything is measured (each gets a
   welcome mail; the queues are drained again), so that every booking's consumers take their real path:
   identity knows the citizen, notification mails and texts them, documents builds the checklist.
3. CPU is ``utime + stime`` from ``/proc/<pid>/stat`` of every process of the suite, the echo pair and
   the PostgreSQL backends serving the run's databases (found in ``pg_stat_activity`` by database name and
   sampled twice a second, so a backend that comes and goes is counted up to its last sample). The
   RabbitMQ node (``beam.smp``) serves every vhost on the machine, other test runs' too: its CPU is shared
   out every 5 s in proportion to the Erlang reductions of each vhost's connections, channels and queues
   (management API), and the run's vhost's share is counted. The load generator (this process) is not.
4. Before and after each phase the idle rate of every part is measured over ``IDLE_SECONDS`` while polling
   the queues as the phase does; the phase's figure is its CPU (until ``STATS_LAG`` seconds after its end,
   for RabbitMQ's statistics) minus the lower idle rate × its duration.
5. Echo: ``ECHO`` requests by ``CLIENTS`` closed-loop clients. All: ``BOOKINGS`` bookings (4 services a
   citizen, on the office's slots two days ahead and later, so that no reminder falls in the window) by
   ``CLIENTS`` closed-loop clients, counted until every mail is in the SMTP sink and every queue of the
   vhost has been empty for 3 s. Synchronous path: the consumers (documents, notification) stopped and
   ``SYNC_BOOKINGS`` more bookings, counted over the load window only (their events wait in the queues):
   gateway, scheduling, its PostgreSQL backends, RabbitMQ.
"""

import os
import re
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from antre_common.waiting import wait_until
from antre_dev.mailbox import Mailbox, text_of
from antre_dev.stack import Stack, StackConfig
from bench.notification_delivery import PASSWORD
from bench.scheduling_stack import admin_headers, echo_pair, machine_load

CLIENTS = int(os.environ.get("BOOKING_COST_CLIENTS", 32))
BOOKINGS = int(os.environ.get("BOOKING_COST_BOOKINGS", 600))
SYNC_BOOKINGS = int(os.environ.get("BOOKING_COST_SYNC_BOOKINGS", 400))
ECHO = int(os.environ.get("BOOKING_COST_ECHO", 3000))
IDLE_SECONDS = 8
RESULTS = Path(__file__).resolve().parent / "results"
DISCUSSION = "## Discussion"
STATS_LAG = 12  # RabbitMQ's statistics: emitted every 5 s, shared out every 5 s
TICK = os.sysconf("SC_CLK_TCK")
SERVICES = ("paspor_baru", "paspor_penggantian", "paspor_hilang", "paspor_rusak")
CONSUMERS = ("documents", "notification")


def cpu_seconds(pid):
    """utime + stime of one process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pids_named(comm):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


class RabbitShare:
    """The RabbitMQ node's CPU that the run's vhost caused. The broker serves every vhost on the machine (other
    test runs too), so its CPU is shared out in proportion to the Erlang work (reductions, from the management
    API) of each vhost's connections, channels and queues over the same interval, and this vhost's share is
    added up."""

    KINDS = ("connections", "channels", "queues")

    def __init__(self, api, vhost):
        self.api, self.vhost = api, vhost
        self.pids = pids_named("beam.smp")
        self.attributed = 0.0
        self.last = self._snapshot()

    def _snapshot(self):
        reductions = {}
        for kind in self.KINDS:
            rows = requests.get(f"{self.api}/{kind}", params={"columns": "vhost,name,reductions"}, timeout=10).json()
            for row in rows:
                reductions[kind, row.get("vhost"), row.get("name")] = row.get("reductions") or 0
        return sum(cpu_seconds(pid) or 0.0 for pid in self.pids), reductions

    def step(self):
        cpu, reductions = self._snapshot()
        last_cpu, last_reductions = self.last
        ours = total = 0
        for key, count in reductions.items():
            work = max(0, count - last_reductions.get(key, 0))
            total += work
            ours += work if key[1] == self.vhost else 0
        if total:
            self.attributed += (cpu - last_cpu) * ours / total
        self.last = (cpu, reductions)
        return self.attributed


class CpuMeter:
    """Samples the CPU of named parts: fixed pids (processes we started), the PostgreSQL backends of the run's
    databases (``pg_stat_activity``) twice a second, and RabbitMQ's share (``RabbitShare``) every
    ``rabbit_seconds``; a part's CPU is the sum of the last sample of each of its pids."""

    rabbit_seconds = 5.0  # the management API refreshes its statistics every 5 s

    def __init__(self, fixed, pg_url, db_prefix, rabbit):
        self.fixed = fixed  # {part: [pid]}
        self.engine = create_engine(pg_url, pool_size=1, max_overflow=0)
        self.db_prefix = db_prefix
        self.rabbit = rabbit
        self.last = {}  # pid -> (part, cpu seconds)
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _pg_backends(self):
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT pid, datname FROM pg_stat_activity WHERE datname LIKE :p"), {"p": f"{self.db_prefix}_%"}
            ).all()
        return {pid: "postgres " + datname.removeprefix(f"{self.db_prefix}_") for pid, datname in rows}

    def sample(self, rabbit=False):
        pids = {pid: part for part, pids in self.fixed.items() for pid in pids}
        pids.update(self._pg_backends())
        with self.lock:
            for pid, part in pids.items():
                cpu = cpu_seconds(pid)
                if cpu is not None:
                    previous = self.last.get(pid)
                    # A pid reused by another backend starts again from its own count.
                    if previous is not None and previous[0] == part and cpu < previous[1]:
                        self.last[f"{pid}-{time.monotonic()}"] = previous
                    self.last[pid] = (part, cpu)
            if rabbit:
                self.last["rabbitmq"] = ("rabbitmq", self.rabbit.step())

    def _loop(self):
        next_rabbit = 0.0
        while self.running:
            try:
                due = time.monotonic() >= next_rabbit
                self.sample(rabbit=due)
                if due:
                    next_rabbit = time.monotonic() + self.rabbit_seconds
            except Exception:  # noqa: BLE001, S110 - a missed sample is made up by the next one
                pass
            time.sleep(0.5)

    def totals(self):
        self.sample(rabbit=True)
        with self.lock:
            out = {}
            for part, cpu in self.last.values():
                out[part] = out.get(part, 0.0) + cpu
            return out

    def close(self):
        self.running = False
        self.thread.join()
        self.engine.dispose()


def diff(after, before):
    return {part: after.get(part, 0.0) - before.get(part, 0.0) for part in after}


def queued(stack):
    c = stack.config
    queues = requests.get(f"{c.rabbit_api}/queues/{c.vhost}", timeout=10).json()
    return sum(q.get("messages", 0) for q in queues)


def drained(stack, done=lambda: True, timeout=900):
    """Until ``done()`` and every queue of the vhost has been empty for 3 s."""
    deadline, calm = time.monotonic() + timeout, 0
    while calm < 3:
        if time.monotonic() > deadline:
            raise RuntimeError("queues not drained in time")
        calm = calm + 1 if queued(stack) == 0 and done() else 0
        time.sleep(1)


def idle_rates(stack, meter, seconds=IDLE_SECONDS):
    """CPU seconds per second of each part with nothing to do (polling the queues as a phase does)."""
    before, started = meter.totals(), time.monotonic()
    while time.monotonic() - started < seconds:
        queued(stack)
        time.sleep(1)
    elapsed = time.monotonic() - started
    return {part: cpu / elapsed for part, cpu in diff(meter.totals(), before).items()}


def measured(stack, meter, work):
    """Runs ``work()`` between two idle measurements; returns (CPU seconds by part net of the lower idle rate,
    seconds, what work returned). A part whose net figure is below 0 (RabbitMQ, PostgreSQL: other work on
    the machine varied) is shown as it is, not hidden."""
    idle_before = idle_rates(stack, meter)
    before, started = meter.totals(), time.monotonic()
    result = work()
    time.sleep(STATS_LAG)  # RabbitMQ's statistics of the last seconds of work (the idle rate covers the wait)
    elapsed = time.monotonic() - started
    used = diff(meter.totals(), before)
    idle_after = idle_rates(stack, meter)
    # The lower of the two: RabbitMQ's statistics of the phase's last seconds may still arrive after it.
    idle = {p: min(idle_before.get(p, 0.0), idle_after.get(p, 0.0)) for p in used}
    return {part: cpu - idle[part] * elapsed for part, cpu in used.items()}, elapsed, result


def pool_run(items, fn, clients):
    """``clients`` closed-loop workers (one keep-alive session each) taking ``items`` in turn."""
    lock, it, statuses = threading.Lock(), iter(items), {}

    def worker(_):
        session = requests.Session()
        while True:
            with lock:
                item = next(it, None)
            if item is None:
                return
            status = fn(session, item)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return dict(sorted(statuses.items()))


def patiently(send, attempts=10):
    """``send()`` again while the suite answers 503 (argon2 on a loaded machine can outlast an RPC deadline)."""
    for _ in range(attempts):
        response = send()
        if response.status_code != 503:
            response.raise_for_status()
            return response
        time.sleep(float(response.headers.get("Retry-After") or 1))
    response.raise_for_status()


def citizens(stack, n):
    """``n`` registered, verified, signed-in citizens: their Authorization headers. Registered first, then
    verified with the one-time code from their mail, then signed in (what a citizen does)."""
    base = stack.config.gateway_url
    addresses = [f"biaya.{i}.{uuid.uuid4().hex[:8]}@example.id" for i in range(n)]

    def register(i):
        body = {
            "nik": f"317101150590{i:04d}",  # distinct within the run's own identity database
            "full_name": "Warga Uji Biaya",
            "birth_date": "1990-05-15",
            "email": addresses[i],
            "phone": "+6281234567890",
            "password": PASSWORD,
        }
        key = {"Idempotency-Key": str(uuid.uuid4())}  # a retry after a 503 is the same registration
        patiently(lambda: requests.post(f"{base}/api/v1/auth/register", json=body, headers=key, timeout=60))

    def codes():
        found = {}
        for message in Mailbox(stack.config.mail_dir).messages():
            code = re.search(r"\b(\d{6})\b", text_of(message))
            if message["X-Antre-Message-Type"] == "otp" and code:
                found[message["To"]] = code.group(1)
        return found

    def sign_in(address):
        verify = {"email": address, "otp": otp[address]}
        for _ in range(10):  # a 503 may come after the code was taken: then the login below tells
            if requests.post(f"{base}/api/v1/auth/verify", json=verify, timeout=60).status_code != 503:
                break
            time.sleep(1)
        login = patiently(
            lambda: requests.post(
                f"{base}/api/v1/auth/login", json={"email": address, "password": PASSWORD}, timeout=60
            )
        )
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(register, range(n)))
        otp = wait_until(lambda: (lambda found: len(found) >= n and found)(codes()), 300, "every code", interval=2)
        return list(pool.map(sign_in, addresses))


def mail_count(mail_dir):
    return sum(1 for _ in Path(mail_dir).glob("*.eml"))


def part_order(name):
    order = ("gateway", "scheduling", "identity", "documents", "notification", "smtp sink", "s3", "rabbitmq")
    base = name.removeprefix("postgres ")
    rank = order.index(base) if base in order else len(order)
    return (rank, name.startswith("postgres"), name)


@contextmanager
def running_suite():
    """``running_suite`` of the scheduling benchmarks, with the echo pair's processes."""
    with tempfile.TemporaryDirectory() as tmp:
        with Stack(StackConfig.for_tests(Path(tmp) / "stack")) as stack:
            procs = []
            with echo_pair(stack, Path(tmp), procs) as echo_url:
                yield stack, echo_url, procs


def run(args=None):
    with running_suite() as (stack, echo_url, echo_procs):
        base, c = stack.config.gateway_url, stack.config
        requests.put(f"{base}/api/v1/offices/JKS/capacity", json={"counters": 100, "slot_minutes": 60,
                     "online_share": 1.0}, headers=admin_headers(stack), timeout=30).raise_for_status()  # fmt: skip
        slots = requests.get(
            f"{base}/api/v1/offices/JKS/availability", params={"service": "paspor_penggantian"}, timeout=30
        ).json()
        # Slots beyond the reminder horizon (24 h): a reminder is a later message, not what booking triggers.
        later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        slot_ids = [s["slot_id"] for s in slots if s["remaining"] > 0 and s["date"] >= later]
        people = citizens(stack, (BOOKINGS + SYNC_BOOKINGS + len(SERVICES) - 1) // len(SERVICES))
        work = [
            (headers, service, slot_ids[(i * len(SERVICES) + k) % len(slot_ids)])
            for i, headers in enumerate(people)
            for k, service in enumerate(SERVICES)
        ]
        drained(stack)  # what signing up sent is out

        names = {"smtp": "smtp sink", "s3": "s3"}
        fixed = {names.get(key, key): [proc.pid] for key, proc in stack.procs.items()}
        fixed["echo pair"] = [p.pid for p in echo_procs]
        meter = CpuMeter(fixed, c.pg_url, c.db_prefix, RabbitShare(c.rabbit_api, c.vhost))
        try:

            def echo(session, n):
                return session.get(f"{echo_url}/echo?x={n}", timeout=30).status_code

            def book(session, item):
                headers, service, slot_id = item
                body = {"slot_id": slot_id, "service_code": service}
                return session.post(f"{base}/api/v1/bookings", json=body, headers=headers, timeout=60).status_code

            echo_cpu, echo_s, echo_status = measured(stack, meter, lambda: pool_run(range(ECHO), echo, CLIENTS))
            mails_before = mail_count(c.mail_dir)

            def all_of_it():
                started = time.monotonic()
                statuses = pool_run(work[:BOOKINGS], book, CLIENTS)
                load_s = time.monotonic() - started
                made = statuses.get(201, 0)
                drained(stack, lambda: mail_count(c.mail_dir) >= mails_before + made)
                return statuses, load_s

            full_cpu, full_s, (full_status, load_s) = measured(stack, meter, all_of_it)
            for name in CONSUMERS:
                stack.stop_process(name)
            sync_cpu, sync_s, sync_status = measured(
                stack, meter, lambda: pool_run(work[BOOKINGS : BOOKINGS + SYNC_BOOKINGS], book, CLIENTS)
            )
        finally:
            meter.close()
        load = machine_load()

    echo_parts = ("echo pair", "rabbitmq")
    echo_ms = sum(echo_cpu.get(p, 0.0) for p in echo_parts) * 1000 / max(1, echo_status.get(200, 0))
    echo_split = ", ".join(
        f"{p} {echo_cpu.get(p, 0.0) * 1000 / max(1, echo_status.get(200, 0)):.1f}" for p in echo_parts
    )
    booked, sync_booked = full_status.get(201, 0), sync_status.get(201, 0)
    suite_parts = sorted((p for p in full_cpu if p != "echo pair"), key=part_order)
    sync_parts = [p for p in suite_parts if p in ("gateway", "scheduling", "postgres scheduling", "rabbitmq")]
    full_ms = {p: full_cpu[p] * 1000 / max(1, booked) for p in suite_parts}
    sync_ms = {p: sync_cpu.get(p, 0.0) * 1000 / max(1, sync_booked) for p in sync_parts}
    full_total, sync_total = sum(full_ms.values()), sum(sync_ms.values())
    rows = [
        f"| {p} | {f'{sync_ms[p]:.1f}' if p in sync_ms else ''} | {full_ms[p]:.1f} | {full_ms[p] / echo_ms:.2f}× |"
        for p in suite_parts
    ]
    method = " ".join(line.strip() for line in __doc__.split("(also written into the report):")[1].strip().splitlines())
    return "\n".join(
        [
            f"{CLIENTS} closed-loop clients (threads, keep-alive) on one machine with the suite. Echo: {echo_status} "
            f"in {echo_s:.1f} s. All: {BOOKINGS} bookings by registered citizens, {full_status}; the load took "
            f"{load_s:.1f} s, counted until every mail was in the sink and every queue empty for 3 s: {full_s:.1f} s. "
            f"Synchronous path: the consumers stopped, {SYNC_BOOKINGS} more bookings, {sync_status}, {sync_s:.1f} s. "
            f"{load} at the end (the machine is shared).",
            "",
            f"**Echo: {echo_ms:.1f} ms of CPU per request** ({echo_split}; idle subtracted).",
            "",
            "| part | synchronous path, ms CPU per booking | everything a booking triggers, ms CPU per booking | "
            "that, in echoes |",
            "|---|---|---|---|",
            *rows,
            f"| **total** | **{sync_total:.1f}** | **{full_total:.1f}** | |",
            f"| **ratio to the echo** | **{sync_total / echo_ms:.1f}×** (goal ≤ 2×) | "
            f"**{full_total / echo_ms:.1f}×** (goal ≤ 5×) | |",
            "",
            f"Method: {method}",
            "",
            kept_discussion(),
        ]
    )


def kept_discussion():
    """The hand-written part of the report (profiles, before and after) survives a new run."""
    report = RESULTS / "booking_cost.md"
    text = report.read_text() if report.exists() else ""
    return text[text.index(DISCUSSION) :] if DISCUSSION in text else ""
