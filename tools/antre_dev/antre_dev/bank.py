"""The development payment channel (a stand-in bank): a small real HTTP service, never in an image.

    python -m antre_dev.bank --port 8011 --gateway http://127.0.0.1:8000 --secrets bank1:<secret>

``POST /pay {billing_code, amount?, delay_seconds?, repeat?}`` asks Antre what the code is for (a signed
inquiry), takes the money, and sends the signed notification to ``/api/v1/payments/notifications``: after
``delay_seconds``, ``repeat`` times, retrying while Antre answers 5xx or cannot be reached (as a real channel
does). ``POST /control {down?, delay_seconds?, repeat?}`` sets the defaults; while ``down`` every ``/pay``
answers 503 and nothing is sent. ``GET /settlements?date=YYYY-MM-DD`` is the day's settlement list for the
reconciliation; ``GET /payments`` what was sent and Antre's answers (for tests); ``GET /healthz``.
"""

import argparse
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests

RETRIES = 20


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Bank:
    def __init__(self, gateway_url, secret):
        self.gateway_url = gateway_url.rstrip("/")
        self.secret = secret
        self.down = False
        self.delay_seconds = 0.0
        self.repeat = 1
        self.settlements = []  # what the bank took: {transaction_id, billing_code, amount, paid_at}
        self.sent = []  # every notification sent: {transaction_id, status}
        self.lock = threading.Lock()

    def signed_post(self, path, doc):
        body = json.dumps(dict(doc, timestamp=int(time.time()))).encode()
        headers = {"Content-Type": "application/json", "X-Signature": sign(self.secret, body)}
        return requests.post(self.gateway_url + path, data=body, headers=headers, timeout=10)

    def pay(self, request):
        if self.down:
            return 503, {"error": "the bank is down"}
        code = str(request.get("billing_code", ""))
        inquiry = self.signed_post("/api/v1/payments/inquiries", {"billing_code": code})
        if inquiry.status_code != 200:
            return inquiry.status_code, {"error": "inquiry refused", "antre": inquiry.json()}
        bill = inquiry.json()
        amount = int(request.get("amount", bill["amount"]))
        now = datetime.now(UTC)
        payment = {
            "transaction_id": request.get("transaction_id") or f"DEVBANK-{uuid.uuid4().hex[:20]}",
            "billing_code": code,
            "amount": amount,
            "currency": "IDR",
            "paid_at": now.isoformat(),
        }
        with self.lock:
            self.settlements.append(payment)
        delay = float(request.get("delay_seconds", self.delay_seconds))
        repeat = int(request.get("repeat", self.repeat))
        if delay > 0:
            threading.Thread(target=self.notify, args=(payment, delay, repeat), daemon=True).start()
            return 202, {**payment, "notified": False, "bill": bill}
        status = self.notify(payment, 0, repeat)
        return 200, {**payment, "notified": status, "bill": bill}

    def notify(self, payment, delay, repeat):
        time.sleep(delay)
        status = None
        for _ in range(max(1, repeat)):
            for attempt in range(RETRIES):
                try:
                    status = self.signed_post("/api/v1/payments/notifications", payment).status_code
                except requests.RequestException:
                    status = None
                if status is not None and status < 500:
                    break
                time.sleep(min(5.0, 0.2 * 2**attempt))
            with self.lock:
                self.sent.append({"transaction_id": payment["transaction_id"], "status": status})
        return status

    def control(self, request):
        for key in ("down", "delay_seconds", "repeat"):
            if key in request:
                setattr(self, key, type(getattr(self, key))(request[key]))
        return 200, {"down": self.down, "delay_seconds": self.delay_seconds, "repeat": self.repeat}

    def settlements_of(self, day):
        with self.lock:
            return [s for s in self.settlements if s["paid_at"][:10] == day]


def handler_for(bank):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status, doc):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                doc = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return None
            return doc if isinstance(doc, dict) else None

        def do_GET(self):  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path == "/healthz":
                return self._answer(200, {"status": "ok", "down": bank.down})
            if url.path == "/settlements":
                day = parse_qs(url.query).get("date", [""])[0]
                return self._answer(200, {"date": day, "settlements": bank.settlements_of(day)})
            if url.path == "/payments":
                with bank.lock:
                    return self._answer(200, {"sent": list(bank.sent), "settlements": list(bank.settlements)})
            return self._answer(404, {"error": "not found"})

        def do_POST(self):  # noqa: N802
            doc = self._json()
            if doc is None:
                return self._answer(400, {"error": "a JSON object, please"})
            if self.path == "/pay":
                return self._answer(*bank.pay(doc))
            if self.path == "/control":
                return self._answer(*bank.control(doc))
            return self._answer(404, {"error": "not found"})

        def log_message(self, fmt, *args):
            print(json.dumps({"bank": fmt % args}), flush=True)

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--secrets", required=True, help="the channel key ring; the bank signs with the first key")
    args = parser.parse_args(argv)
    secret = args.secrets.split(",")[0].split(":", 1)[1]
    bank = Bank(args.gateway, secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(bank))
    print(json.dumps({"bank": f"listening on 127.0.0.1:{args.port}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
