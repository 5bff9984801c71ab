"""Shared by the scheduling benchmarks: the suite as processes, the echo pair beside it, tokens, and a
closed-loop HTTP load generator (threads, one keep-alive session each)."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import jwt
import requests

from antre_dev.stack import ROOT, Stack, StackConfig, free_port, wait_for

BIN = Path(sys.executable).parent


@contextmanager
def running_suite():
    with tempfile.TemporaryDirectory() as tmp:
        config = StackConfig.for_tests(Path(tmp) / "stack")
        with Stack(config) as stack:
            with echo_pair(stack, Path(tmp)) as echo_url:
                yield stack, echo_url


@contextmanager
def echo_pair(stack, tmp, procs=None):
    """The echo pair on the stack's vhost; yields its URL. ``procs`` (a list) gets its two processes."""
    port = free_port()
    cfg = tmp / "echo.yaml"
    cfg.write_text(
        f"AMQP_URI: {stack.config.service_amqp_uri}\nWEB_SERVER_ADDRESS: 127.0.0.1:{port}\nmax_workers: 100\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs_started = [
        subprocess.Popen(
            [str(BIN / "nameko"), "run", "--config", str(cfg), f"bench.echo_pair:{cls}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for cls in ("EchoService", "EchoGateway")
    ]
    if procs is not None:
        procs.extend(procs_started)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{url}/echo?x=1", timeout=2).json() == "1", 60, "echo pair")
        yield url
    finally:
        for proc in procs_started:
            proc.terminate()
        for proc in procs_started:
            proc.wait(15)


def token(stack, claims):
    key = (stack.config.var / "keys" / "jwt_ed25519.pem").read_text()
    now = int(time.time())
    payload = {"typ": "access", "iss": "antre-identity", "aud": "antre", "iat": now, "exp": now + 3600,
               "jti": uuid.uuid4().hex, **claims}  # fmt: skip
    return jwt.encode(payload, key, algorithm="EdDSA")


def citizen_token(stack):
    return token(stack, {"sub": str(uuid.uuid4()), "role": "citizen", "pref": uuid.uuid4().hex})


def admin_headers(stack):
    return {"Authorization": f"Bearer {token(stack, {'sub': str(uuid.uuid4()), 'role': 'admin'})}"}


def closed_loop(make_request, concurrency, seconds, warmup=2.0):
    """``concurrency`` workers, each sending ``make_request(session, n)`` back to back; measured after
    ``warmup``. Returns completed-per-second, latency percentiles and status counts."""
    latencies, statuses, lock = [], {}, threading.Lock()
    start_at = time.monotonic() + warmup
    stop_at = start_at + seconds

    def worker(i):
        session = requests.Session()
        n = i
        while True:
            now = time.monotonic()
            if now >= stop_at:
                return
            began = time.perf_counter()
            status = make_request(session, n)
            took = time.perf_counter() - began
            n += concurrency
            if now >= start_at:
                with lock:
                    latencies.append(took)
                    statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return summary(latencies, statuses, seconds)


def summary(latencies, statuses, seconds):
    latencies = sorted(latencies)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "per_second": len(latencies) / seconds,
        "count": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "statuses": dict(sorted(statuses.items())),
    }


def quiesce(stack, timeout=120):
    """Wait until every queue of the suite's vhost is empty (the consumers digested the last phase)."""
    c = stack.config
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and calm < 3:
        queues = requests.get(f"{c.rabbit_api}/queues/{c.vhost}", timeout=10).json()
        calm = calm + 1 if sum(q.get("messages", 0) for q in queues) == 0 else 0
        time.sleep(1)


def machine_load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
