"""Two complete stacks on one PostgreSQL (as two replicas of every service, or a migration job beside the
pods, would share it), each taking the flash crowd at once. Before the connection budget this gave HTTP 500s
and PostgreSQL's "sorry, too many clients already"; the goal is 0 5xx.

    python -m bench two_stacks

Each stack runs scheduling_flash_crowd's crowd (ATTEMPTS attempts, CONCURRENCY threads, 250 seats) at the
same time; the peak number of PostgreSQL connections is sampled from pg_stat_activity during the run.

The connection budget (deploy/k8s/README.md "Sizing", docs/runbook.md): every process's pool is sized from
PostgreSQL's limit, ``(BUDGET − RESERVED) / (stacks × processes)``, as on Kubernetes from the replica counts.
``BENCH_MAX_CONNECTIONS`` (default: the server's ``max_connections``) sets the budget, so the run can keep to
PostgreSQL's default of 100 on a server configured higher; the peak counts only the two stacks' databases.
"""

import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text

from antre_dev.stack import SERVICES, Stack, StackConfig
from bench.scheduling_flash_crowd import SEATS, crowd, crowd_table

ATTEMPTS = 1000
CONCURRENCY = 100
STACKS = 2
RESERVED = 10  # superuser_reserved_connections (3), the migrations at a start, this bench's sampler, psql


def pools(budget, stacks=STACKS):
    """Each process's pool within the budget: a third kept open, the rest opened under load."""
    per_process = (budget - RESERVED) // (stacks * len(SERVICES))
    size = max(1, per_process // 3)
    return {"DB_POOL_SIZE": str(size), "DB_MAX_OVERFLOW": str(per_process - size)}, per_process


def run(args):
    admin = create_engine(StackConfig().pg_url)
    budget = int(os.environ.get("BENCH_MAX_CONNECTIONS") or scalar(admin, "SHOW max_connections"))
    env, per_process = pools(budget)
    with tempfile.TemporaryDirectory() as tmp:
        configs = [StackConfig.for_tests(Path(tmp) / f"stack{n}", env=dict(env)) for n in range(1, STACKS + 1)]
        prefixes = [c.db_prefix + "%" for c in configs]
        with Stack(configs[0]) as one, Stack(configs[1]) as two:
            max_connections = scalar(admin, "SHOW max_connections")
            peak, done = [0], threading.Event()
            mine = "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE :a OR datname LIKE :b"

            def sample():
                while not done.wait(0.2):
                    peak[0] = max(peak[0], scalar(admin, mine, a=prefixes[0], b=prefixes[1]))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda s: crowd(s, ATTEMPTS, CONCURRENCY), (one, two)))
            done.set()
            sampler.join(5)
    admin.dispose()
    lines = [
        f"Two stacks (every service twice, one gateway each) on one PostgreSQL (max_connections {max_connections}, "
        f"budget **{budget}**: each of the {STACKS * len(SERVICES)} service processes keeps at most {per_process} "
        f"connections, DB_POOL_SIZE {env['DB_POOL_SIZE']} + DB_MAX_OVERFLOW {env['DB_MAX_OVERFLOW']}); each took "
        f"{ATTEMPTS} booking attempts from {CONCURRENCY} threads at the same time (scheduling_flash_crowd's crowd, "
        f"{SEATS} seats). Peak connections of the two stacks' databases in pg_stat_activity: **{peak[0]}** of the "
        f"budget {budget} (sampled every 0.2 s). {results[-1]['load_after']} at the end.",
        "",
    ]
    for n, r in enumerate(results, 1):
        lines += [f"### Stack {n} ({r['day']})", "", *crowd_table(r), ""]
    five_xx = sum(r["five_xx"] for r in results)
    lines += [f"Goal: 0 5xx in both (seen: **{five_xx}**) and exactly {SEATS} confirmed in each.", ""]
    return "\n".join(lines)


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()
