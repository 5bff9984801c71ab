"""The office floor through the gateway: the live board as server-sent events (a call reaches a viewer within
a second, driven by the ticket events), the holder from identity at check-in, recall / transfer / requeue
codes, a checked-in booking's place, quotas and statistics as CSV."""

import http.client
import json
import queue
import socket
import threading
import time
from urllib.parse import urlsplit

from antre_common.testing import wait_until
from antre_dev.mailbox import text_of
from documents import samples

from .test_messages import move_to_now, register
from .tokens import bearer, staff

BOARD_OFFICE = "MKS"  # no other system test runs a queue here
OFFICE, SERVICE = "AMQ", "paspor_baru"  # nor here


class BoardViewer:
    """Reads ``/board/stream`` in a thread; each ``board`` event with the time it arrived."""

    def __init__(self, stack, office):
        url = urlsplit(stack.config.gateway_url)
        self.events = queue.Queue()
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.conn.request("GET", f"/api/v1/offices/{office}/board/stream")
        self.response = self.conn.getresponse()
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        data = None
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and data is not None:
                    self.events.put((time.monotonic(), data))
                    data = None
        except (OSError, ValueError, http.client.HTTPException):
            pass  # closed by the test

    def next(self, timeout=10):
        return self.events.get(timeout=timeout)

    def until(self, found, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            arrived, board = self.next(max(0.01, deadline - time.monotonic()))
            if found(board):
                return arrived, board

    def close(self):
        self.conn.sock.shutdown(socket.SHUT_RDWR)  # ends the reader's blocking read; then the connection


def test_the_board_stream_delivers_a_call_within_a_second(stack, gateway):
    officer = bearer(stack, staff("officer", BOARD_OFFICE))
    viewers = [BoardViewer(stack, BOARD_OFFICE) for _ in range(3)]
    try:
        for viewer in viewers:
            _, first = viewer.next()  # the board as it is on connecting
            assert {"now_serving", "waiting", "estimated_wait_minutes"} <= set(first)
        walk_in = gateway.post(f"/api/v1/offices/{BOARD_OFFICE}/walk-ins", json={"service_code": SERVICE},
                               headers=officer).json()  # fmt: skip
        number = walk_in["ticket_number"]
        for viewer in viewers:
            _, issued = viewer.until(lambda b: (b.get("change") or {}).get("type") == "ticket_issued")
            assert issued["change"]["ticket_number"] == number and issued["waiting"] >= 1
        sent = time.monotonic()
        called = gateway.post(f"/api/v1/offices/{BOARD_OFFICE}/counters/2/call-next", headers=officer).json()
        assert called["ticket_number"] == number
        for viewer in viewers:
            arrived, board = viewer.until(lambda b: (b.get("change") or {}).get("type") == "ticket_called")
            assert arrived - sent < 1.0, f"the call reached a viewer after {arrived - sent:.3f} s"
            assert {"ticket_number": number, "counter": "2"} in board["now_serving"]
            assert board["change"] == {"type": "ticket_called", "ticket_number": number, "counter": "2", "recall": 0}
        recalled = gateway.post(f"/api/v1/tickets/{called['ticket_id']}/recall", headers=officer)
        assert recalled.status_code == 200, recalled.text
        _, board = viewers[0].until(lambda b: (b.get("change") or {}).get("recall") == 1)
        assert board["change"]["ticket_number"] == number
    finally:
        for viewer in viewers:
            viewer.close()
    unknown = gateway.get("/api/v1/offices/XYZ/board/stream")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "OFFICE_NOT_FOUND")


def test_check_in_shows_the_holder_from_identity_and_needs_the_ktp_confirmed(stack, gateway, mailbox):
    person, _, me = register(gateway, mailbox)  # born 1991-03-09: not elderly
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    slot = next(s for s in slots if s["remaining"] > 0)
    created = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE,
                                                     "priority": "disabilitas"}, headers=me)  # fmt: skip
    assert created.status_code == 201, created.text
    code = created.json()["reservation_code"]
    move_to_now(stack, code)
    officer = bearer(stack, staff("officer", OFFICE))
    day = wait_until(lambda: _today_of(gateway, officer, code), what="the booking on today's list")
    listed = next(b for b in day if b["reservation_code"] == code)
    assert listed["holder"]["full_name"] == "Sri Wahyuni"
    assert listed["holder"]["birth_date"] == person["birth_date"]
    assert listed["holder"]["nik_masked"] != person["nik"] and "*" in listed["holder"]["nik_masked"]
    assert listed["priority"] == "disabilitas" and listed["ticket"] is None
    assert listed["documents"]["complete"] is False and listed["documents"]["missing"]  # nothing uploaded yet

    # Review before the visit: the upload waits in the office's list by name; a rejection names it.
    uploaded = gateway.post(f"/api/v1/bookings/{code}/documents", data={"doc_type": "ktp"},
                            files={"file": ("ktp.pdf", samples.pdf(4000), "application/pdf")}, headers=me)  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    waiting = gateway.get(f"/api/v1/offices/{OFFICE}/documents", params={"status": "uploaded"}, headers=officer)
    assert waiting.status_code == 200, waiting.text
    [doc] = [d for d in waiting.json() if d["reservation_code"] == code]
    assert doc["document_id"] == uploaded.json()["document_id"] and doc["name"] != "ktp"
    visits = gateway.get(f"/api/v1/offices/{OFFICE}/visits", headers=officer).json()
    assert doc["name"] in next(v for v in visits if v["reservation_code"] == code)["waiting_review"]
    rejected = gateway.post(f"/api/v1/documents/{doc['document_id']}/review",
                            json={"decision": "rejected", "reason": "Foto buram, unggah ulang yang jelas"},
                            headers=officer)  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    [mail] = mailbox.wait_for(lambda m: m["To"] == person["email"]
                              and m["X-Antre-Message-Type"] == "document_rejected", timeout=30)  # fmt: skip
    assert doc["name"] in text_of(mail) and "Foto buram, unggah ulang yang jelas" in text_of(mail)
    other = bearer(stack, staff("officer", "JKS"))
    assert gateway.get(f"/api/v1/offices/{OFFICE}/bookings", headers=other).status_code == 403
    assert gateway.get(f"/api/v1/offices/{OFFICE}/bookings", headers=me).status_code == 403

    check_ins = f"/api/v1/offices/{OFFICE}/check-ins"
    missing = gateway.post(check_ins, json={"reservation_code": code}, headers=officer)
    assert (missing.status_code, missing.json()["code"]) == (400, "VALIDATION_ERROR")
    unconfirmed = gateway.post(check_ins, json={"reservation_code": code, "identity_confirmed": False},
                               headers=officer)  # fmt: skip
    assert (unconfirmed.status_code, unconfirmed.json()["code"]) == (422, "IDENTITY_NOT_CONFIRMED")
    assert gateway.get(f"/api/v1/bookings/{code}", headers=me).json()["status"] == "confirmed"
    ticket = gateway.post(check_ins, json={"reservation_code": code, "identity_confirmed": True,
                                           "priority": "disabilitas"}, headers=officer)  # fmt: skip
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["priority"] == "disabilitas"
    mine = gateway.get(f"/api/v1/bookings/{code}", headers=me).json()
    assert mine["ticket"]["ticket_number"] == ticket.json()["ticket_number"]
    assert mine["ticket"]["position"] >= 1 and mine["ticket"]["expected_wait_minutes"] >= 0

    ticket_id = ticket.json()["ticket_id"]
    early = gateway.post(f"/api/v1/tickets/{ticket_id}/recall", headers=officer)
    assert (early.status_code, early.json()["code"]) == (409, "TICKET_INVALID_TRANSITION")
    called = gateway.post(f"/api/v1/offices/{OFFICE}/counters/1/call-next", headers=officer)
    assert called.json()["ticket_id"] == ticket_id  # nobody else waits at this office
    closed = gateway.post(f"/api/v1/tickets/{ticket_id}/transfer", json={"counter": "99"}, headers=officer)
    assert (closed.status_code, closed.json()["code"]) == (409, "COUNTER_CLOSED")
    unknown = gateway.post(f"/api/v1/tickets/{ticket_id}/transfer", json={"service_code": "visa"}, headers=officer)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "SERVICE_NOT_FOUND")
    extra = gateway.post(f"/api/v1/tickets/{ticket_id}/transfer", json={"desk": "1"}, headers=officer)
    assert (extra.status_code, extra.json()["code"]) == (400, "VALIDATION_ERROR")
    moved = gateway.post(f"/api/v1/tickets/{ticket_id}/transfer", json={"counter": "2"}, headers=officer)
    assert (moved.status_code, moved.json()["counter"], moved.json()["status"]) == (200, "2", "waiting")
    again = gateway.post(f"/api/v1/offices/{OFFICE}/counters/2/call-next", headers=officer)
    assert again.json()["ticket_id"] == ticket_id
    gone = gateway.post(f"/api/v1/tickets/{ticket_id}/no-show", headers=officer)
    assert gone.json()["status"] == "no_show"
    back = gateway.post(f"/api/v1/tickets/{ticket_id}/requeue", headers=officer)
    assert (back.status_code, back.json()["status"]) == (200, "waiting")
    quotas = gateway.get(f"/api/v1/offices/{OFFICE}/quotas", headers=officer).json()
    assert quotas["priority"]["used_minutes"] >= 20 and "limit_minutes" in quotas["walk_in"]


def _today_of(gateway, officer, code):
    """Today's list once it has the booking with its documents (documents learns it from the event)."""
    answer = gateway.get(f"/api/v1/offices/{OFFICE}/bookings", headers=officer)
    assert answer.status_code == 200, answer.text
    return answer.json() if any(b["reservation_code"] == code and b["documents"] for b in answer.json()) else None


def test_statistics_as_csv_for_supervisors(stack, gateway):
    supervisor = bearer(stack, staff("supervisor", BOARD_OFFICE), Accept="text/csv")
    answer = gateway.get(f"/api/v1/offices/{BOARD_OFFICE}/stats", headers=supervisor)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("date,timezone,bookings,cancellations,no_shows,walk_ins,served")
    assert len(lines) == 8 and all(",Asia/Makassar," in line for line in lines[1:])
    plain = bearer(stack, staff("supervisor", BOARD_OFFICE))
    as_json = gateway.get(f"/api/v1/offices/{BOARD_OFFICE}/stats", headers=plain)
    assert [row["date"] for row in as_json.json()] == [line.split(",")[0] for line in lines[1:]]


def test_a_disruption_tells_the_booked_citizen_and_shows_on_the_status_page(stack, gateway, mailbox):
    person, _, me = register(gateway, mailbox)
    slots = gateway.get(f"/api/v1/offices/{BOARD_OFFICE}/availability", params={"service": SERVICE}).json()
    # The horizon's last free slot, and a disruption of that slot alone: test_family books this office's first
    # free slots, and a disruption affects every booking of the office in its period.
    slot = [s for s in slots if s["remaining"] > 0 and s["date"] > slots[0]["date"]][-1]
    created = gateway.post("/api/v1/bookings", json={"slot_id": slot["slot_id"], "service_code": SERVICE}, headers=me)
    assert created.status_code == 201, created.text
    code = created.json()["reservation_code"]
    period = {"from": slot["start"], "to": slot["end"], "reason": "Banjir di depan kantor"}
    supervisor = bearer(stack, staff("supervisor", BOARD_OFFICE))
    path = f"/api/v1/offices/{BOARD_OFFICE}/disruptions"
    assert gateway.post(path, json=period, headers=bearer(stack, staff("officer", BOARD_OFFICE))).status_code == 403
    assert gateway.post(path, json=period, headers=bearer(stack, staff("supervisor", "JKS"))).status_code == 403
    past = {**period, "from": "2020-01-01T08:00:00+08:00", "to": "2020-01-01T12:00:00+08:00"}
    answer = gateway.post(path, json=past, headers=supervisor)
    assert (answer.status_code, answer.json()["code"]) == (422, "DISRUPTION_IN_PAST")
    naive = gateway.post(path, json={**period, "from": "2030-01-01T08:00:00"}, headers=supervisor)
    assert (naive.status_code, naive.json()["code"]) == (400, "VALIDATION_ERROR")  # a time without its offset

    declared = gateway.post(path, json=period, headers=supervisor)
    assert declared.status_code == 201, declared.text
    assert declared.json()["affected_bookings"] == 1 and declared.json()["reason"] == period["reason"]
    again = gateway.post(path, json=period, headers=supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "DISRUPTION_OVERLAPS")

    [mail] = mailbox.wait_for(lambda m: m["To"] == person["email"]
                              and m["X-Antre-Message-Type"] == "booking_disrupted", timeout=30)  # fmt: skip
    body = text_of(mail)
    assert code in body and "Banjir di depan kantor" in body and "tidak dihitung" in body
    status = gateway.get("/api/v1/status").json()
    assert any(d["disruption_id"] == declared.json()["disruption_id"] for d in status["disruptions"])
    listed = gateway.get(f"/api/v1/offices/{BOARD_OFFICE}/disruptions").json()
    assert [d["reason"] for d in listed] == [period["reason"]]
    assert (
        gateway.get(f"/api/v1/bookings/{code}", headers=me).json()["disruption_id"]
        == (declared.json()["disruption_id"])
    )
