"""A stand-in for the population registry (Dukcapil's NIK verification) for development and tests.

A real HTTP service, never a mock inside identity: identity's adapter talks to it exactly as it would talk
to the registry. The population is synthetic, generated from a fixed seed (families on a family card, KK:
a head, a spouse, children, sometimes a parent of the head), so every start has the same people; tests add
their own residents with ``POST /residents``.

    python -m antre_dev.registry --port 8010

``POST /api/v1/nik/verify`` (HTTP Basic, ``REGISTRY_USER``/``REGISTRY_PASSWORD``) ``{nik, full_name,
birth_date}`` → 200 ``{match, fields: {nik, full_name, birth_date}}``; on a match also ``family_card_number``
and ``members`` ``[{nik, full_name, birth_date, relationship}]`` of that card. Names compare as the registry
compares them: case, spaces and punctuation do not count.
``POST /residents`` ``{nik, full_name, birth_date, family_card_number, relationship}`` → 201 (409 for a NIK
it has). ``GET /residents/<nik>`` → 200 or 404; ``GET /healthz`` → 200.
"""

import argparse
import base64
import hmac
import json
import os
import random
import re
import threading
import unicodedata
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEED = 20261202
RELATIONSHIPS = ("head", "spouse", "child", "parent", "other")
DEV_USER = "antre"
DEV_PASSWORD = "registry-dev-secret"  # noqa: S105 - development default, also in antre_dev.stack
REGIONS = ("317101", "317402", "327301", "327502", "357801", "337401", "517101", "737101", "127101", "647201")
MEN = ("Budi", "Agus", "Joko", "Rizky", "Hendra", "Dimas", "Fajar", "Bayu", "Eko", "Yusuf", "Andi", "Made")
WOMEN = ("Siti", "Dewi", "Ayu", "Rina", "Putri", "Wulan", "Indah", "Fitri", "Lestari", "Nur", "Ratna", "Kadek")
FAMILY = ("Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kusuma", "Nugroho", "Siregar", "Lubis", "Harahap")

_SPACES = re.compile(r"\s+")


def name_key(name):
    """How the registry compares names: accents, case, punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKD", str(name or ""))
    text = "".join(c if c.isalnum() else " " for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip().casefold()


def nik_for(region, birth, female, serial):
    day = birth.day + (40 if female else 0)
    return f"{region}{day:02d}{birth:%m}{birth.year % 100:02d}{serial:04d}"


def synthetic_population(families=300, seed=SEED):
    """Residents by NIK, the same for the same seed."""
    rng = random.Random(seed)
    people, serials = {}, {}

    def add(card, relationship, given, surname, birth, female, region):
        key = (region, birth, female)
        serials[key] = serials.get(key, 0) + 1
        nik = nik_for(region, birth, female, serials[key])
        people[nik] = {
            "nik": nik,
            "full_name": f"{given} {surname}",
            "birth_date": birth.isoformat(),
            "family_card_number": card,
            "relationship": relationship,
        }

    for n in range(families):
        region = rng.choice(REGIONS)
        card = f"{region}{n + 1:010d}"
        surname = rng.choice(FAMILY)
        head_born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        add(card, "head", rng.choice(MEN), surname, head_born, False, region)
        if rng.random() < 0.85:
            add(card, "spouse", rng.choice(WOMEN), surname, head_born + timedelta(days=rng.randrange(-900, 900)), True,
                region)  # fmt: skip
        for _ in range(rng.randrange(4)):
            born = head_born + timedelta(days=365 * 22 + rng.randrange(365 * 18))
            female = rng.random() < 0.5
            add(card, "child", rng.choice(WOMEN if female else MEN), surname, born, female, region)
        if rng.random() < 0.25:
            add(card, "parent", rng.choice(WOMEN), surname, head_born - timedelta(days=365 * 25 + rng.randrange(3650)),
                True, region)  # fmt: skip
    return people


class Registry:
    def __init__(self, people):
        self.people = dict(people)
        self.cards = {}  # family-card number -> NIKs, so a verification does not scan the population
        for nik, person in self.people.items():
            self.cards.setdefault(person["family_card_number"], []).append(nik)
        self.lock = threading.Lock()

    def add(self, resident):
        problems = _check_resident(resident)
        if problems:
            return 400, {"errors": problems}
        with self.lock:
            if resident["nik"] in self.people:
                return 409, {"error": "a resident with this NIK exists"}
            self.people[resident["nik"]] = {k: resident[k] for k in _RESIDENT_FIELDS}
            self.cards.setdefault(resident["family_card_number"], []).append(resident["nik"])
        return 201, self.people[resident["nik"]]

    def verify(self, query):
        nik, name, born = (str(query.get(k) or "") for k in ("nik", "full_name", "birth_date"))
        with self.lock:
            person = self.people.get(nik)
            if person is None:
                return {"match": False, "fields": {"nik": False, "full_name": False, "birth_date": False}}
            fields = {
                "nik": True,
                "full_name": name_key(name) == name_key(person["full_name"]),
                "birth_date": born == person["birth_date"],
            }
            answer = {"match": all(fields.values()), "fields": fields}
            if answer["match"]:
                card = person["family_card_number"]
                answer["family_card_number"] = card
                answer["members"] = [
                    {k: self.people[n][k] for k in ("nik", "full_name", "birth_date", "relationship")}
                    for n in self.cards[card]
                ]
        return answer


_RESIDENT_FIELDS = ("nik", "full_name", "birth_date", "family_card_number", "relationship")


def _check_resident(r):
    problems = {}
    if not isinstance(r, dict):
        return {"body": ["a JSON object"]}
    if not re.fullmatch(r"[0-9]{16}", str(r.get("nik", ""))):
        problems["nik"] = ["16 digits"]
    if not str(r.get("full_name") or "").strip():
        problems["full_name"] = ["required"]
    try:
        date.fromisoformat(str(r.get("birth_date")))
    except ValueError:
        problems["birth_date"] = ["YYYY-MM-DD"]
    if not re.fullmatch(r"[0-9]{16}", str(r.get("family_card_number", ""))):
        problems["family_card_number"] = ["16 digits"]
    if r.get("relationship") not in RELATIONSHIPS:
        problems["relationship"] = [f"one of {', '.join(RELATIONSHIPS)}"]
    return problems


def make_handler(registry, user, password):
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle's algorithm and the client's delayed ACK each
        # answer on a kept-alive connection would wait ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # the path holds no personal data, bodies are never logged
            pass

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                return None

        def do_GET(self):
            if self.path == "/healthz":
                return self._send(200, {"status": "ok", "residents": len(registry.people)})
            if self.path.startswith("/residents/"):
                person = registry.people.get(self.path.rsplit("/", 1)[1])
                return self._send(200, person) if person else self._send(404, {"error": "not found"})
            return self._send(404, {"error": "not found"})

        def do_POST(self):
            body = self._body()
            if self.path == "/residents":
                status, answer = registry.add(body)
                return self._send(status, answer)
            if self.path == "/api/v1/nik/verify":
                if not hmac.compare_digest(self.headers.get("Authorization") or "", expected):
                    return self._send(401, {"error": "unauthorised"})
                if not isinstance(body, dict):
                    return self._send(400, {"error": "a JSON object"})
                return self._send(200, registry.verify(body))
            return self._send(404, {"error": "not found"})

    return Handler


def serve(port, host="127.0.0.1", user=DEV_USER, password=DEV_PASSWORD, families=300):
    server = ThreadingHTTPServer((host, port), make_handler(Registry(synthetic_population(families)), user, password))
    server.daemon_threads = True
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("REGISTRY_PORT", 8010)))
    parser.add_argument("--families", type=int, default=300)
    args = parser.parse_args()
    user = os.environ.get("REGISTRY_USER", DEV_USER)
    password = os.environ.get("REGISTRY_PASSWORD", DEV_PASSWORD)
    server = serve(args.port, args.host, user, password, args.families)
    print(f"population registry on {args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class ResidentExists(RuntimeError):
    """The registry already has a resident with that NIK (409)."""


def add_resident(resident, url=None, timeout=10):
    """Tests and benchmarks: add ``resident`` (``{nik, full_name, birth_date, family_card_number?,
    relationship?}``) to the registry at ``url`` (default: ``REGISTRY_URL``, which ``antre_dev.stack`` sets);
    a resident without a card gets one of their own, as its head. Returns what was added."""
    import requests

    url = url or os.environ["REGISTRY_URL"]
    body = {
        "family_card_number": f"{resident['nik'][:6]}{random.randrange(10**10):010d}",
        "relationship": "head",
        **{k: resident[k] for k in _RESIDENT_FIELDS if k in resident},
    }
    response = requests.post(f"{url}/residents", json=body, timeout=timeout)
    if response.status_code == 409:
        raise ResidentExists(f"registry refused the resident: {response.text[:200]}")
    if response.status_code != 201:
        raise RuntimeError(f"registry refused the resident: {response.status_code} {response.text[:200]}")
    return body


class RegistryProcess:
    """Tests: the registry as a real process on ``port``; ``start()``, ``stop()`` (an outage), ``add(resident)``.

    registry = RegistryProcess(free_port()).start()
    registry.add({"nik": ..., "full_name": ..., "birth_date": ...})
    ...
    registry.stop()
    """

    def __init__(self, port, families=20):
        self.port, self.families = port, families
        self.url = f"http://127.0.0.1:{port}"
        self.user, self.password = DEV_USER, DEV_PASSWORD
        self.proc = None

    def start(self, timeout=20):
        import subprocess
        import sys
        import time

        import requests

        cmd = [sys.executable, "-m", "antre_dev.registry", "--port", str(self.port), "--families", str(self.families)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the population registry did not start") from None
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def add(self, resident, **extra):
        return add_resident({**resident, **extra}, url=self.url)


if __name__ == "__main__":
    main()
