"""A flash crowd at the release of a day: 2,000 citizens each try to book one of the day's slots at once;
the day has 250 seats. Reports confirmed bookings, errors, and p50/p99 latency through the gateway.

    python -m bench scheduling_flash_crowd

Office MKS is set to 5 one-hour slots a day (08:00–13:00), 25 counters all online: 1,500 counter-minutes
a slot, 50 lost-passport interviews (30 min) each, 250 a day.
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, text

from bench.scheduling_stack import admin_headers, citizen_token, machine_load, running_suite, summary

ATTEMPTS = 2000
CONCURRENCY = 200
SEATS = 250
HOURS = {d: [["08:00", "13:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def run(args):
    with running_suite() as (stack, _echo):
        r = crowd(stack)
    return "\n".join(
        [
            f"{r['attempts']} booking attempts by distinct citizens for {r['day']} at MKS ({SEATS} seats in 5 slots), "
            f"each citizen one attempt on a random slot of the day; {r['concurrency']} client threads released "
            f"together by a barrier. {r['load_after']} at the end (the machine is shared).",
            "",
            *crowd_table(r),
            "",
            f"Goal: exactly {SEATS} confirmed and no 5xx.",
            "",
        ]
    )


def crowd(stack, attempts=ATTEMPTS, concurrency=CONCURRENCY):
    """The flash crowd against a running stack; every figure of the report (two_stacks runs two at once)."""
    base = stack.config.gateway_url
    requests.put(f"{base}/api/v1/offices/MKS/capacity", json={"counters": 25, "slot_minutes": 60,
                 "online_share": 1.0, "opening_hours": HOURS}, headers=admin_headers(stack),
                 timeout=30).raise_for_status()  # fmt: skip
    slots = requests.get(
        f"{base}/api/v1/offices/MKS/availability", params={"service": "paspor_hilang"}, timeout=30
    ).json()
    by_day = {}
    for s in slots:
        by_day.setdefault(s["date"], []).append(s)
    day = next(d for d, day_slots in sorted(by_day.items()) if len(day_slots) == 5)
    day_slots = [s["slot_id"] for s in by_day[day]]
    offered = sum(s["remaining"] for s in by_day[day])
    assert offered == SEATS, offered
    tokens = [{"Authorization": f"Bearer {citizen_token(stack)}"} for _ in range(attempts)]
    choices = [random.Random(n).choice(day_slots) for n in range(attempts)]

    latencies, statuses, codes, first_5xx, lock, busy = [], {}, {}, {}, threading.Lock(), [0]
    barrier = threading.Barrier(concurrency)

    def attempt(n, session):
        """One citizen's attempt, as the app makes it: with an Idempotency-Key, retried with the same
        key after a 503 (the outcome is then unknown), so a retry can never book twice; a 429 (the
        gateway's bound on bookings in flight) is waited out as its Retry-After says."""
        body = {"slot_id": choices[n], "service_code": "paspor_hilang"}
        headers = {**tokens[n], "Idempotency-Key": f"flash-{n}"}
        began = time.perf_counter()
        for _ in range(3):
            r = session.post(f"{base}/api/v1/bookings", json=body, headers=headers, timeout=60)
            for _busy in range(20):
                if r.status_code != 429:
                    break
                with lock:
                    busy[0] += 1
                time.sleep(float(r.headers.get("Retry-After", 1)) * random.uniform(0.5, 1.0))
                r = session.post(f"{base}/api/v1/bookings", json=body, headers=headers, timeout=60)
            if r.status_code < 500:
                break
            with lock:
                first_5xx[r.status_code] = first_5xx.get(r.status_code, 0) + 1
        took = time.perf_counter() - began
        code = "CONFIRMED" if r.status_code == 201 else r.json().get("code")
        with lock:
            latencies.append(took)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            codes[code] = codes.get(code, 0) + 1

    def worker(i):
        session = requests.Session()
        barrier.wait()  # everyone at once, as at the release minute
        for n in range(i, attempts, concurrency):
            attempt(n, session)

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.monotonic() - started
    left = requests.get(f"{base}/api/v1/offices/MKS/availability",
                        params={"service": "paspor_hilang", "from": day, "to": day}, timeout=30).json()  # fmt: skip
    engine = create_engine(stack.config.database_url("scheduling"))
    with engine.connect() as db:
        in_db = db.execute(
            text("SELECT count(*) FROM booking b JOIN slot s ON s.id = b.slot_id "
                 "WHERE s.office_code = 'MKS' AND s.date = :d AND b.status = 'confirmed'"), {"d": day}
        ).scalar()  # fmt: skip
        counts = db.execute(
            text("SELECT sum(booked_count) FROM slot WHERE office_code = 'MKS' AND date = :d"), {"d": day}
        ).scalar()
    engine.dispose()
    load_after = machine_load()

    result = summary(latencies, statuses, elapsed)
    return {
        "attempts": attempts,
        "concurrency": concurrency,
        "day": day,
        "codes": codes,
        "in_db": in_db,
        "counts": counts,
        "left": sum(s["remaining"] for s in left),
        "five_xx": sum(v for k, v in statuses.items() if k >= 500),
        "first_5xx": first_5xx,
        "busy": busy[0],
        "elapsed": elapsed,
        "result": result,
        "load_after": load_after,
    }


def crowd_table(r):
    result, elapsed = r["result"], r["elapsed"]
    return [
        "| figure | value |",
        "|---|---|",
        f"| confirmed (HTTP 201) | **{r['codes'].get('CONFIRMED', 0)}** |",
        f"| confirmed bookings in the database for the day | {r['in_db']} |",
        f"| slots' booked counts summed | {r['counts']} |",
        f"| seats left afterwards (availability) | {r['left']} |",
        f"| answers by code | {dict(sorted(r['codes'].items()))} |",
        f"| HTTP statuses | {result['statuses']} |",
        f"| 5xx seen by citizens (after the app's retries with the same key) | **{r['five_xx']}** |",
        f"| 5xx answers that the app retried | {sum(r['first_5xx'].values())} {r['first_5xx'] or ''} |",
        f"| 429 TOO_BUSY answers waited out (gateway's bound on bookings in flight) | {r['busy']} |",
        f"| wall time | {elapsed:.1f} s ({r['attempts'] / elapsed:.0f} attempts/s) |",
        f"| latency p50 (attempt incl. retries) | {result['p50_ms']:.0f} ms |",
        f"| latency p99 | {result['p99_ms']:.0f} ms |",
    ]
