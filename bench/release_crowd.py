"""A quota release through its waiting room (issue 21): N distinct citizens (tokens minted with the development
key, so password hashing does not dominate) join the waiting room of a 250-seat release at random moments in
the JOIN_SECONDS before it opens, then follow the protocol: ask again when told (``retry_after_seconds``),
and once admitted read the day's availability and book a slot with seats left, with the admission (another
slot after SLOT_FULL, at most three tries). Reported: confirmed (must be 250 = rows = slot counts), 5xx (0),
answers past the RPC deadline (0), p50/p99 per request type, time until sold out, and the fairness figure:
Spearman's rank correlation between join time and booking success among those who joined before the opening
(≈ 0 for a fair release; first come, first served gives strongly negative).

RELEASE_CROWD_CITIZENS (default 20000), RELEASE_CROWD_JOIN_SECONDS (60), RELEASE_CROWD_THREADS (200).
"""

import heapq
import os
import random
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from antre_dev.stack import Stack, StackConfig
from bench.scheduling_stack import admin_headers, citizen_token, machine_load, summary, token

CITIZENS = int(os.environ.get("RELEASE_CROWD_CITIZENS", 20000))
JOIN_SECONDS = float(os.environ.get("RELEASE_CROWD_JOIN_SECONDS", 60))
THREADS = int(os.environ.get("RELEASE_CROWD_THREADS", 200))
OFFICE, SERVICE, SEATS = "MKS", "paspor_hilang", 250
HOURS = {d: [["08:00", "13:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
DEADLINE_SECONDS = 5.0
SETUP_SECONDS = 20  # minting tokens and creating the release before the first join


def spearman(xs, ys):
    def ranks(values):
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else float("nan")


class Crowd:
    def __init__(self, base, release, tokens, join_at):
        self.base, self.release, self.tokens, self.join_at = base, release, tokens, join_at
        self.queue = f"{base}/api/v1/releases/{release['release_id']}/queue"
        self.lock = threading.Lock()
        self.latency = {}  # request type -> [seconds]
        self.statuses = {}
        self.past_deadline = 0
        self.booked = {}  # citizen -> time of the booking
        self.codes = {}

    def call(self, kind, session, method, url, **kwargs):
        began = time.perf_counter()
        r = session.request(method, url, timeout=30, **kwargs)
        took = time.perf_counter() - began
        with self.lock:
            self.latency.setdefault(kind, []).append(took)
            self.statuses[(kind, r.status_code)] = self.statuses.get((kind, r.status_code), 0) + 1
            if took > DEADLINE_SECONDS:
                self.past_deadline += 1
        return r

    def step(self, n, session, state):
        """One request of citizen ``n``; returns when to come back (monotonic seconds) or None when done."""
        headers = {"Authorization": f"Bearer {self.tokens[n]}"}
        if state.get("admission") is None:
            method = "POST" if not state.get("joined") else "GET"
            r = self.call("join" if method == "POST" else "poll", session, method, self.queue, headers=headers)
            if r.status_code == 429 or r.status_code >= 500:  # outcome unknown: ask again (joining twice is safe)
                return time.monotonic() + float(r.headers.get("Retry-After", 2))
            place = r.json()
            state["joined"] = True
            if place.get("state") == "admitted":
                state["admission"] = place["admission"]
                return time.monotonic()
            if place.get("state") == "waiting":
                # A second of jitter, not a share of the wait: a share would bring early joiners back later.
                return time.monotonic() + place["retry_after_seconds"] + random.uniform(0, 1)
            return None  # closed: sold out, used or expired
        params = {"service": SERVICE, "from": self.release["date"], "to": self.release["date"]}
        r = self.call("availability", session, "GET", f"{self.base}/api/v1/offices/{OFFICE}/availability",
                      params=params)  # fmt: skip
        if r.status_code != 200:
            return time.monotonic() + float(r.headers.get("Retry-After", 1))
        free = [s for s in r.json() if s["remaining"] > 0]
        if not free:
            return None
        body = {"slot_id": random.choice(free)["slot_id"], "service_code": SERVICE, "admission": state["admission"]}
        r = self.call("book", session, "POST", f"{self.base}/api/v1/bookings", json=body,
                      headers={**headers, "Idempotency-Key": f"crowd-{n}"})  # fmt: skip
        code = "CONFIRMED" if r.status_code == 201 else r.json().get("code")
        with self.lock:
            self.codes[code] = self.codes.get(code, 0) + 1
        if r.status_code == 201:
            with self.lock:
                self.booked[n] = time.monotonic()
            return None
        if r.status_code in (429, 503):
            return time.monotonic() + float(r.headers.get("Retry-After", 1))
        state["tries"] = state.get("tries", 0) + 1
        if code == "SLOT_FULL" and state["tries"] < 3:
            return time.monotonic()
        return None

    def worker(self, w):
        session = requests.Session()
        mine = [(self.join_at[n], n) for n in range(w, len(self.tokens), THREADS)]
        heapq.heapify(mine)
        states = {}
        while mine:
            due, n = heapq.heappop(mine)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            state = states.setdefault(n, {})
            try:
                again = self.step(n, session, state)
            except requests.RequestException:
                again = time.monotonic() + 2
            if again is not None:
                heapq.heappush(mine, (again, n))


def run(args):
    with tempfile.TemporaryDirectory() as tmp:
        env = {"RELEASE_SWEEP_SECONDS": "1"}  # the release opens (its slots appear) within a second
        with Stack(StackConfig.for_tests(Path(tmp) / "stack", env=env)) as stack:
            return _run(stack)


def _run(stack):
    base = stack.config.gateway_url
    requests.put(f"{base}/api/v1/offices/{OFFICE}/capacity", json={"counters": 25, "slot_minutes": 60,
                 "online_share": 1.0, "opening_hours": HOURS}, headers=admin_headers(stack),
                 timeout=30).raise_for_status()  # fmt: skip
    window = requests.get(f"{base}/api/v1/offices/{OFFICE}", timeout=30).json()["booking_window"]
    day = (date.fromisoformat(window["open_until"]) + timedelta(days=2)).isoformat()
    tokens = [citizen_token(stack) for _ in range(CITIZENS)]
    supervisor = {"Authorization": "Bearer " + token(stack, {"sub": "00000000-0000-4000-8000-000000000021",
                                                             "role": "supervisor", "office": OFFICE})}  # fmt: skip
    opens_at = datetime.now(UTC) + timedelta(seconds=SETUP_SECONDS + JOIN_SECONDS)
    release = requests.post(f"{base}/api/v1/offices/{OFFICE}/releases", headers=supervisor, timeout=30,
                            json={"date": day, "opens_at": opens_at.isoformat()})  # fmt: skip
    release.raise_for_status()
    release = release.json()
    assert release["seats"] == SEATS * 2, release  # counted in bookings of the shortest (15-minute) service
    opens_mono = time.monotonic() + (opens_at - datetime.now(UTC)).total_seconds()
    join_at = [opens_mono - JOIN_SECONDS * random.Random(n).random() for n in range(CITIZENS)]
    crowd = Crowd(base, release, tokens, join_at)
    threads = [threading.Thread(target=crowd.worker, args=(w,)) for w in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    load_after = machine_load()

    engine = create_engine(stack.config.database_url("scheduling"))
    with engine.connect() as db:
        rows = db.execute(text("SELECT count(*) FROM booking b JOIN slot s ON s.id = b.slot_id WHERE "
                               "s.office_code = :o AND s.date = :d AND b.status = 'confirmed'"),
                          {"o": OFFICE, "d": day}).scalar()  # fmt: skip
        counts = db.execute(text("SELECT sum(booked_count) FROM slot WHERE office_code = :o AND date = :d"),
                            {"o": OFFICE, "d": day}).scalar()  # fmt: skip
    engine.dispose()

    early = [n for n in range(CITIZENS) if join_at[n] < opens_mono]
    rho = spearman([join_at[n] for n in early], [1 if n in crowd.booked else 0 for n in early])
    sold_out = max(crowd.booked.values()) - opens_mono if crowd.booked else float("nan")
    five_xx = sum(v for (_, status), v in crowd.statuses.items() if status >= 500)
    lines = [
        f"{CITIZENS} distinct citizens join the waiting room of an extra release of {SEATS} seats at {OFFICE} "
        f"({day}) at random moments in the {JOIN_SECONDS:.0f} s before it opens, then follow the protocol "
        f"(poll as told, book when admitted, another slot after SLOT_FULL). {THREADS} client threads, each "
        f"serving its share of the crowd in time order. Admission rate: the default RELEASE_ADMISSION_RATE. "
        f"{load_after} at the end (the machine is shared).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| confirmed (HTTP 201) | **{crowd.codes.get('CONFIRMED', 0)}** |",
        f"| confirmed bookings in the database for the day | {rows} |",
        f"| slots' booked counts summed | {counts} |",
        f"| booking answers by code | {dict(sorted(crowd.codes.items()))} |",
        f"| 5xx | **{five_xx}** |",
        f"| answers past the {DEADLINE_SECONDS:.0f} s RPC deadline | **{crowd.past_deadline}** |",
        f"| time from the opening until sold out | {sold_out:.1f} s |",
        f"| fairness: Spearman(join time, booked) among the {len(early)} who joined before the opening | "
        f"**{rho:+.3f}** |",
        f"| wall time | {elapsed:.1f} s |",
        "",
        "| request | count | p50 | p99 | statuses |",
        "|---|---|---|---|---|",
    ]
    for kind, values in sorted(crowd.latency.items()):
        s = summary(values, {}, 1)
        statuses = {st: v for (k, st), v in sorted(crowd.statuses.items()) if k == kind}
        lines.append(f"| {kind} | {s['count']} | {s['p50_ms']:.0f} ms | {s['p99_ms']:.0f} ms | {statuses} |")
    lines += ["", f"Goal: exactly {SEATS} confirmed = rows = slot counts, no 5xx, none past the deadline, "
              "fairness ≈ 0.", ""]  # fmt: skip
    return "\n".join(lines)
