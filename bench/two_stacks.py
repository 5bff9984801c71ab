"""Two complete stacks on one PostgreSQL (as two replicas of every service, or a migration job beside the
pods, would share it), each taking the flash crowd at once. Before the connection budget this gave HTTP 500s
and PostgreSQL's "sorry, too many clients already"; the goal is 0 5xx.

    python -m bench two_stacks

Each stack runs scheduling_flash_crowd's crowd (ATTEMPTS attempts, CONCURRENCY threads, 250 seats) at the
same time; the peak number of PostgreSQL connections is sampled from pg_stat_activity during the run.
"""

import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text

from antre_dev.stack import Stack, StackConfig
from bench.scheduling_flash_crowd import SEATS, crowd, crowd_table

ATTEMPTS = 1000
CONCURRENCY = 100


def run(args):
    with tempfile.TemporaryDirectory() as tmp:
        configs = [StackConfig.for_tests(Path(tmp) / f"stack{n}") for n in (1, 2)]
        with Stack(configs[0]) as one, Stack(configs[1]) as two:
            admin = create_engine(configs[0].pg_url)
            max_connections = scalar(admin, "SHOW max_connections")
            peak, done = [0], threading.Event()

            def sample():
                while not done.wait(0.2):
                    peak[0] = max(peak[0], scalar(admin, "SELECT count(*) FROM pg_stat_activity"))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda s: crowd(s, ATTEMPTS, CONCURRENCY), (one, two)))
            done.set()
            sampler.join(5)
            admin.dispose()
    lines = [
        f"Two stacks (every service twice, one gateway each) on one PostgreSQL with max_connections "
        f"{max_connections}; each took {ATTEMPTS} booking attempts from {CONCURRENCY} threads at the same time "
        f"(scheduling_flash_crowd's crowd, {SEATS} seats). Peak connections seen in pg_stat_activity: "
        f"**{peak[0]}** (every database of the server, sampled every 0.2 s). {results[-1]['load_after']} at the end.",
        "",
    ]
    for n, r in enumerate(results, 1):
        lines += [f"### Stack {n} ({r['day']})", "", *crowd_table(r), ""]
    five_xx = sum(r["five_xx"] for r in results)
    lines += [f"Goal: 0 5xx in both (seen: **{five_xx}**) and exactly {SEATS} confirmed in each.", ""]
    return "\n".join(lines)


def scalar(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()
