"""10,000 guesses at `GET /api/v1/messages/verify` through the gateway: the per-address limit holds, and a
wrong code answers in the same time as the code of a message deleted with its account.

    python -m bench messages_verify
"""

import json
import random
import re
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

from antre_dev.mailbox import Mailbox, text_of
from antre_dev.registry import add_resident
from antre_dev.stack import Stack, StackConfig
from notification.checkcodes import ALPHABET
from notification.settings import Settings

GUESSES = 10_000
ADDRESSES = 100  # X-Forwarded-For addresses, GUESSES / ADDRESSES guesses each
THREADS = 4
PEOPLE = 20  # accounts whose messages are deleted (each got a code by email and by SMS)
PASSWORD = "bench marking the check codes"  # noqa: S105 - benchmark value
CODE = re.compile(r"(?:Kode cek(?: pesan ini:)?|Check code(?: of this message:)?) ([0-9A-Z]{5}-[0-9A-Z]{5})")


def register_people(base, var):
    """PEOPLE registrations (each sends its code by email and SMS); ``(user ids, printed check codes)``."""
    users, emails = [], set()
    for i in range(PEOPLE):
        email = f"warga.{uuid.uuid4().hex[:10]}@example.id"
        body = {
            "nik": f"317101{date(1990, 1, 1 + i):%d%m%y}{uuid.uuid4().int % 10000:04d}",
            "full_name": "Uji Beban",
            "birth_date": date(1990, 1, 1 + i).isoformat(),
            "email": email,
            "phone": f"+62812{uuid.uuid4().int % 10**8:08d}",
            "password": PASSWORD,
        }
        add_resident(body)
        made = requests.post(
            f"{base}/api/v1/auth/register", json=body, headers={"X-Forwarded-For": f"10.9.0.{i + 1}"}, timeout=30
        )
        if made.status_code != 201:
            raise RuntimeError(f"registration failed: {made.status_code} {made.text}")
        users.append(made.json()["user_id"])
        emails.add(email)
    mailbox = Mailbox(var / "mail")
    sms_path = var / "sms" / "messages.jsonl"

    def printed():
        codes = [CODE.findall(text_of(m))[0] for m in mailbox.messages() if m["To"] in emails]
        if sms_path.exists():
            codes += [CODE.findall(json.loads(line)["text"])[0] for line in sms_path.read_text().splitlines()]
        return codes if len(codes) >= 2 * PEOPLE else None

    deadline = time.monotonic() + 120
    while (codes := printed()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the registration codes were not all sent")
        time.sleep(0.5)
    return users, codes


def made_up():
    code = "".join(random.choice(ALPHABET) for _ in range(10))  # noqa: S311 - a guess, not a secret
    return f"{code[:5]}-{code[5:]}"


def guess(base, plan):
    """Every (address, kind, code) of ``plan`` once, THREADS at a time; ``[(kind, status, seconds)]``."""
    results, lock = [], threading.Lock()
    local = threading.local()

    def one(item):
        n, kind, code = item
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        r = session.get(
            f"{base}/api/v1/messages/verify",
            params={"code": code},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            timeout=30,
        )
        took = time.perf_counter() - started
        if r.status_code == 429 and not r.headers.get("Retry-After"):
            raise RuntimeError("429 without Retry-After")
        with lock:
            results.append((kind, r.status_code, took))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, plan))
    return results


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1000 if values else float("nan")


def run(args=None):
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    settings = Settings()
    with tempfile.TemporaryDirectory() as var:
        with Stack(StackConfig.for_tests(var)) as stack:
            base = stack.config.gateway_url
            users, deleted = register_people(base, stack.config.var)
            sanity = requests.get(f"{base}/api/v1/messages/verify", params={"code": deleted[0]}, timeout=30)
            if sanity.status_code != 200:
                raise RuntimeError(f"a sent code did not verify: {sanity.status_code} {sanity.text}")
            with ClusterRpcProxy({"AMQP_URI": stack.config.service_amqp_uri}) as rpc:
                forgotten = sum(rpc.notification.forget_user(user_id) for user_id in users)
            # Interleaved: each address guesses wrong and deleted codes in random order, at the same moments.
            plan = [
                (n % ADDRESSES + 1, kind, made_up() if kind == "wrong" else random.choice(deleted))  # noqa: S311
                for n, kind in enumerate(random.choice(("wrong", "deleted")) for _ in range(GUESSES))  # noqa: S311
            ]
            guess(base, [(200 + i % 50, "wrong", made_up()) for i in range(200)])  # warm-up, other addresses
            started = time.monotonic()
            results = guess(base, plan)
            elapsed = time.monotonic() - started
    counts = {}
    for kind, status, _ in results:
        counts[kind, status] = counts.get((kind, status), 0) + 1
    expected_404 = ADDRESSES * settings.verify_limit
    lines = [
        f"{GUESSES:,} guesses at `GET /api/v1/messages/verify?code=` through the gateway (HTTP → gateway → RPC →",
        "notification: one throttle upsert and one lookup of the code's keyed hash, in one transaction), the",
        "whole suite as processes (`antre_dev.stack`, one process per service, default pools), with the load",
        f"generator on the same machine, {THREADS} client threads. The guesses come from {ADDRESSES} addresses",
        f"(`X-Forwarded-For`, {GUESSES // ADDRESSES} each), in random order, each either a made-up code (random,",
        f"same alphabet and shape) or the code of a message deleted with its account: {PEOPLE} registrations",
        f"sent messages by email and SMS, {len(deleted)} check codes were read back from the mails and SMS, one",
        f"was checked genuine (200), then `notification.forget_user` deleted the {forgotten} messages of those",
        f"accounts. Limit: VERIFY_LIMIT={settings.verify_limit} per",
        f"VERIFY_WINDOW_SECONDS={settings.verify_window_seconds:.0f} per address.",
        "",
        f"Load average before the run: {' '.join(load_before)} (the machine is shared: figures vary between runs).",
        f"{len(results):,} answers in {elapsed:.1f} s ({len(results) / elapsed:.0f} a second).",
        "",
        "**The limit holds**: answers by kind and status (no 200: nothing deleted or made up verified)",
        "",
        "| kind | 404 not genuine | 429 limited | other |",
        "|---|---|---|---|",
    ]
    for kind in ("wrong", "deleted"):
        other = sum(v for (k, s), v in counts.items() if k == kind and s not in (404, 429))
        lines.append(f"| {kind} | {counts.get((kind, 404), 0)} | {counts.get((kind, 429), 0)} | {other} |")
    total_404 = sum(v for (k, s), v in counts.items() if s == 404)
    lines += [
        f"| all | {total_404} | {sum(v for (k, s), v in counts.items() if s == 429)} | "
        f"{sum(v for (k, s), v in counts.items() if s not in (404, 429))} |",
        "",
        f"{ADDRESSES} addresses × {settings.verify_limit} allowed = {expected_404} answers at most before the limit:"
        f" {total_404} were given.",
        "",
        "**No timing difference**: latency seen by the client, ms, same run, same addresses",
        "",
        "| answer | kind | n | median | p90 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for status in (404, 429):
        for kind in ("wrong", "deleted"):
            took = [t for k, s, t in results if k == kind and s == status]
            lines.append(
                f"| {status} | {kind} | {len(took)} | {percentile(took, 0.5):.1f} | {percentile(took, 0.9):.1f} |"
                f" {percentile(took, 0.99):.1f} |"
            )
    wrong = [t for k, s, t in results if k == "wrong" and s == 404]
    gone = [t for k, s, t in results if k == "deleted" and s == 404]
    if wrong and gone:
        diff = (statistics.median(gone) - statistics.median(wrong)) * 1000
        lines += ["", f"Median of deleted minus median of wrong (404): {diff:+.2f} ms."]
    lines += [
        "",
        "Why they cannot differ: a deleted message's row is gone (`forget_user` deletes it), so its code and a",
        "made-up one take the same path: the same throttle upsert, the keyed hash of the typed text, and one",
        "probe of the unique index `ix_delivery_check_hash` that finds nothing. A malformed code is hashed and",
        "looked up too, so it takes that path as well. Differences above are noise of a shared machine.",
        "",
    ]
    return "\n".join(lines)
