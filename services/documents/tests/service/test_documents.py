"""The documents service's real entrypoints on real RabbitMQ, PostgreSQL and S3."""

import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from nameko.testing.services import entrypoint_hook, entrypoint_waiter
from sqlalchemy import text

from documents import samples
from documents.exceptions import (
    BookingClosed,
    DocTypeNotOnChecklist,
    DocumentUnreadable,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedFileType,
)
from documents.service import DocumentsService

from .conftest import OWNER, STAFF, Client, new_booking, stored_form


def objects(minio, config, prefix):
    return [o.object_name for o in minio.list_objects(config["S3_BUCKET"], prefix, recursive=True)]


def rows(db, sql, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_a_new_booking_brings_its_checklist_once_however_often_the_event_comes(client, scheduling, db):
    booking = new_booking()
    envelope = client.event("booking_created", booking, "on_booking_created")
    client.event("booking_created", booking, "on_booking_created", envelope=envelope)  # redelivered

    answer = client.checklist(booking["reservation_code"])
    assert [(e["type"], e["required"], e["status"]) for e in answer["checklist"]] == [
        ("ktp", True, "missing"),
        ("kk", True, "missing"),
        ("foto", False, "missing"),
    ]
    assert answer["complete"] is False
    assert len(rows(db, "SELECT * FROM checklist_item WHERE booking_id = :b", b=booking["booking_id"])) == 3


def test_a_booking_whose_event_has_not_arrived_is_learnt_from_scheduling(client, scheduling):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    assert client.checklist(booking["reservation_code"])["booking_id"] == booking["booking_id"]
    with pytest.raises(NotFound):
        client.checklist("NOSUCH01")


def test_a_code_typed_another_way_finds_the_same_booking(client, scheduling):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    typed = [code.lower(), f"{code[:4]}-{code[4:]}", code[:-1] + "O"]  # the last one only scheduling resolves
    assert {client.checklist(t)["booking_id"] for t in [code, *typed]} == {booking["booking_id"]}
    doc = client.upload(typed[2], "ktp", samples.pdf())
    assert client.checklist(code)["checklist"][0]["document_id"] == doc["document_id"]


def test_a_booking_learnt_after_it_ended_takes_no_uploads_and_its_clock_runs(client, scheduling, db):
    booking = {**new_booking(), "status": "cancelled"}
    scheduling[booking["reservation_code"]] = booking
    with pytest.raises(BookingClosed):
        client.upload(booking["reservation_code"], "ktp", samples.pdf())
    [(ended_at,)] = rows(db, "SELECT ended_at FROM booking WHERE booking_id = :b", b=booking["booking_id"])
    assert ended_at is not None


def test_each_type_is_stored_sanitised_and_encrypted_and_comes_back_as_stored(client, scheduling, minio, config, db):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    for doc_type, content in (("ktp", samples.pdf(4000)), ("kk", samples.jpeg()), ("foto", samples.png())):
        doc = client.upload(booking["reservation_code"], doc_type, content)
        assert doc["status"] == "uploaded"
        stored = client.content(doc["document_id"])
        assert stored == stored_form(content)  # the harmless form, rebuilt
        assert doc["size"] == len(stored)
        assert doc["sha256"] == hashlib.sha256(stored).hexdigest()  # what is served (its ETag)
        [(key,)] = rows(db, "SELECT object_key FROM document WHERE document_id = :d", d=doc["document_id"])
        assert key.startswith(booking["booking_id"] + "/")  # made by the service, never a file name
        raw = minio.get_object(config["S3_BUCKET"], key).read()
        assert stored[:16] not in raw and stored[-64:] not in raw  # the store holds ciphertext only
        assert client.content(doc["document_id"], STAFF) == stored

    answer = client.checklist(booking["reservation_code"], STAFF)
    assert [e["status"] for e in answer["checklist"]] == ["uploaded"] * 3
    assert answer["complete"] is True


def test_uploads_that_break_the_rules_are_refused_and_leave_nothing(
    client, scheduling, minio, config, db, internal_client
):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    cases = [
        ("ktp", samples.pdf_of_size(1024 * 1024 + 1), PayloadTooLarge),
        ("ktp", samples.windows_executable(), UnsupportedFileType),
        ("ktp", samples.html(), UnsupportedFileType),
        ("ktp", samples.truncated(samples.pdf(3000)), DocumentUnreadable),
        ("akta_lahir", samples.pdf(), DocTypeNotOnChecklist),
    ]
    for doc_type, content, error in cases:
        with pytest.raises(error):
            client.upload(code, doc_type, content)
    assert objects(minio, config, booking["booking_id"]) == []
    assert rows(db, "SELECT * FROM document") == []
    metrics = requests.get(internal_client.base_url + "/metrics", timeout=5).text
    for code in ("PAYLOAD_TOO_LARGE", "UNSUPPORTED_FILE_TYPE", "DOCUMENT_UNREADABLE", "DOC_TYPE_NOT_ON_CHECKLIST"):
        assert f'antre_documents_uploads_total{{outcome="{code}"}}' in metrics


def test_only_the_owner_uploads(client, scheduling):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    with pytest.raises(Forbidden):
        client.upload(booking["reservation_code"], "ktp", samples.pdf(), STAFF)
    for stranger in (
        {"user_id": "33333333-3333-4333-8333-333333333333", "role": "citizen", "office_code": None},
        {**STAFF, "office_code": "SBY1"},
    ):
        with pytest.raises(NotFound):
            client.upload(booking["reservation_code"], "ktp", samples.pdf(), stranger)
        with pytest.raises(NotFound):
            client.checklist(booking["reservation_code"], stranger)


def test_a_new_upload_replaces_the_old_one_and_its_object(client, scheduling, minio, config, db):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    first = client.upload(code, "ktp", samples.pdf())
    again = client.upload(code, "ktp", client.content(first["document_id"]))  # a retry: same file
    assert again["document_id"] == first["document_id"]
    second = client.upload(code, "ktp", samples.png())
    assert second["document_id"] != first["document_id"]
    assert len(objects(minio, config, booking["booking_id"])) == 1
    assert [r.document_id for r in rows(db, "SELECT document_id::text FROM document")] == [second["document_id"]]
    with pytest.raises(NotFound):
        client.content(first["document_id"])
    # two uploads (the retry is none) and the one read of the file, which the audit log records
    assert sorted(r.event_type for r in rows(db, "SELECT event_type FROM outbox")) == [
        "document_uploaded", "document_uploaded", "document_viewed"
    ]  # fmt: skip


def test_an_upload_whose_commit_fails_leaves_neither_object_nor_row(client, scheduling, minio, config, db):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    kept = client.upload(code, "kk", samples.jpeg())
    with db.begin() as conn:  # the database refuses the row after the object was written
        conn.execute(
            text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE 'refused'; END $$ LANGUAGE plpgsql")
        )
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON document FOR EACH ROW EXECUTE FUNCTION refuse()"))
    with pytest.raises(Exception, match="refused"):
        client.upload(code, "ktp", samples.pdf())
    assert len(objects(minio, config, booking["booking_id"])) == 1
    assert [r.doc_type for r in rows(db, "SELECT doc_type FROM document")] == ["kk"]
    assert client.content(kept["document_id"]) is not None


def test_while_the_store_is_down_uploads_answer_unavailable_and_nothing_stored_is_lost(
    client, scheduling, s3_server, internal_client, db
):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    content = samples.pdf(2000)
    kept = client.upload(code, "ktp", content)
    s3_server.stop()
    try:
        with pytest.raises(ServiceUnavailable):
            client.upload(code, "ktp", samples.png())
        ready = internal_client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["storage"]
    finally:
        s3_server.start()
    assert [r.document_id for r in rows(db, "SELECT document_id::text FROM document")] == [kept["document_id"]]
    assert until_served(lambda: client.content(kept["document_id"])) == stored_form(content)
    assert internal_client.get("/readyz").status_code == 200


def until_served(read, timeout=30):
    """A restarted SeaweedFS answers 500 until its volume server has registered again (a 503 to callers)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read()
        except ServiceUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_review_by_office_staff_is_recorded_once_and_announced(client, scheduling, db):
    booking = new_booking()
    code = booking["reservation_code"]
    scheduling[code] = booking
    doc = client.upload(code, "ktp", samples.pdf())
    with pytest.raises(Forbidden):
        client.call("review", doc["document_id"], "approved", as_=OWNER)
    with pytest.raises(NotFound):
        client.call("review", doc["document_id"], "approved", as_={**STAFF, "office_code": "SBY1"})

    for _ in range(2):  # the same review twice: one event
        reviewed = client.call("review", doc["document_id"], "rejected", as_=STAFF, reason="Foto buram")
    assert (reviewed["status"], reviewed["reason"]) == ("rejected", "Foto buram")
    entry = client.checklist(code)["checklist"][0]
    assert (entry["status"], entry["reason"]) == ("rejected", "Foto buram")

    [(payload,)] = rows(db, "SELECT payload FROM outbox WHERE event_type = 'document_reviewed'")
    assert payload["data"]["decision"] == "rejected"
    assert payload["data"]["booking_id"] == booking["booking_id"]
    assert "Foto buram" == payload["data"]["reason"]
    assert payload["data"]["document_name"] == entry["name"]  # the citizen is told its name, not its code


def test_uploads_stop_when_the_booking_ends(client, scheduling):
    booking = new_booking()
    client.event("booking_created", booking, "on_booking_created")
    client.event(
        "booking_cancelled",
        {"booking_id": booking["booking_id"], "reservation_code": booking["reservation_code"], "reason": "user"},
        "on_booking_cancelled",
    )
    with pytest.raises(BookingClosed):
        client.upload(booking["reservation_code"], "ktp", samples.pdf())


def _ended_booking_with_documents(client, scheduling, event, handler, data_keys):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    client.upload(booking["reservation_code"], "ktp", samples.pdf())
    client.upload(booking["reservation_code"], "kk", samples.png())
    client.event(event, {k: booking[k] for k in data_keys}, handler)
    return booking


def test_retention_deletes_files_and_rows_once_the_clock_passes(client, scheduling, minio, config, db, caplog):
    ended = _ended_booking_with_documents(
        client, scheduling, "booking_no_show", "on_booking_no_show", ("booking_id", "user_id", "office_code")
    )
    completed = _ended_booking_with_documents(
        client, scheduling, "ticket_completed", "on_ticket_completed", ("booking_id", "office_code")
    )
    active = new_booking()
    scheduling[active["reservation_code"]] = active
    client.upload(active["reservation_code"], "ktp", samples.pdf())

    assert client.call("purge_expired") == 0  # ended just now: kept for 30 days
    assert sum(len(objects(minio, config, b["booking_id"])) for b in (ended, completed, active)) == 5

    with db.begin() as conn:  # move the clock: the no-show ended 31 days ago
        conn.execute(
            text("UPDATE booking SET ended_at = :t WHERE booking_id = :b"),
            {"t": datetime.now(UTC) - timedelta(days=31), "b": ended["booking_id"]},
        )
    with caplog.at_level(logging.INFO, logger="documents.retention"):
        assert client.call("purge_expired") == 1
    assert objects(minio, config, ended["booking_id"]) == []
    assert rows(db, "SELECT * FROM document WHERE booking_id = :b", b=ended["booking_id"]) == []
    assert len(objects(minio, config, completed["booking_id"])) == 2
    assert len(objects(minio, config, active["booking_id"])) == 1
    [record] = [r for r in caplog.records if r.getMessage() == "documents deleted after retention"]
    assert (record.booking_id, record.documents, record.objects) == (ended["booking_id"], 2, 2)
    assert ended["reservation_code"] not in caplog.text and ended["user_id"] not in caplog.text
    assert client.call("purge_expired") == 0  # done once


def test_the_retention_timer_runs_by_itself(config, container_factory, scheduling, minio, db, test_tokens):
    fast = {**config, "DOCUMENTS_RETENTION_DAYS": 0.00001, "DOCUMENTS_RETENTION_SWEEP_SECONDS": 0.5}
    container = container_factory(DocumentsService, fast)
    container.start()
    client = Client(container, fast, test_tokens)
    booking = _ended_booking_with_documents(
        client, scheduling, "booking_cancelled", "on_booking_cancelled", ("booking_id", "reservation_code", "user_id")
    )
    with entrypoint_waiter(container, "purge_expired", callback=lambda wc, result, exc: result == 1, timeout=15):
        pass
    assert objects(minio, fast, booking["booking_id"]) == []
    [(purged_at,)] = rows(db, "SELECT purged_at FROM booking WHERE booking_id = :b", b=booking["booking_id"])
    assert purged_at is not None


def test_readiness_and_ping(documents, internal_client):
    assert internal_client.get("/readyz").status_code == 200
    with entrypoint_hook(documents, "ping") as ping:
        assert ping() == {"service": "documents", "status": "up", "failed": []}
    assert requests.get(internal_client.base_url + "/metrics", timeout=5).status_code == 200


def test_bookings_past_their_day_without_an_end_event_are_closed_by_asking_scheduling(client, scheduling, db):
    today = datetime.now(UTC).date()
    cases = {
        "completed": (today - timedelta(days=3), "completed", True),
        "still open": (today - timedelta(days=3), "checked_in", False),
        "long over": (today - timedelta(days=10), "serving", True),
        "moved": (today - timedelta(days=10), "confirmed", False),
        "tomorrow": (today + timedelta(days=1), "confirmed", False),
    }
    bookings = {}
    for name, (day, status, _) in cases.items():
        booking = new_booking()
        scheduling[booking["reservation_code"]] = {**booking, "date": day.isoformat()}
        client.checklist(booking["reservation_code"])  # documents learns it (as confirmed, on that day)
        scheduling[booking["reservation_code"]]["status"] = status
        bookings[name] = booking
    moved = scheduling[bookings["moved"]["reservation_code"]]
    moved["date"] = (today + timedelta(days=5)).isoformat()  # rescheduled; documents missed the event

    assert client.call("purge_expired") == 0  # closed now: the 30 days start today
    for name, (_, _status, closed) in cases.items():
        [(ended_at, stored)] = rows(
            db, "SELECT ended_at, status FROM booking WHERE booking_id = :b", b=bookings[name]["booking_id"]
        )
        assert (ended_at is not None) == closed, name
        if name == "completed":
            assert stored == "completed"
    [(visit_date,)] = rows(db, "SELECT visit_date FROM booking WHERE booking_id = :b", b=moved["booking_id"])
    assert visit_date == moved["date"]


def test_a_transfer_that_arrives_before_the_booking_leaves_the_copy_with_the_new_owner(client, scheduling):
    dependent = {"user_id": "44444444-4444-4444-8444-444444444444", "role": "citizen", "office_code": None}
    booking = new_booking()  # booked by the holder (OWNER); scheduling's answer now names the dependent
    scheduling[booking["reservation_code"]] = dict(booking, user_id=dependent["user_id"])
    moved = {"booking_id": booking["booking_id"], "reservation_code": booking["reservation_code"],
             "user_id": dependent["user_id"], "previous_user_id": OWNER["user_id"]}  # fmt: skip
    client.event("booking_transferred", moved, "on_booking_transferred")
    client.event("booking_created", booking, "on_booking_created")  # late, naming the holder
    assert client.checklist(booking["reservation_code"], dependent)["checklist"]
    with pytest.raises(NotFound):
        client.checklist(booking["reservation_code"], OWNER)


def test_a_rescheduled_booking_moves_its_visit_day(client, scheduling, db):
    booking = new_booking()
    client.event("booking_created", booking, "on_booking_created")
    new_slot = {"date": "2027-01-05", "start": "2027-01-05T10:00:00+07:00"}
    data = {"booking_id": booking["booking_id"], "old_slot": {"date": booking["date"]}, "new_slot": new_slot}
    client.event("booking_rescheduled", data, "on_booking_rescheduled")
    [(visit_date,)] = rows(db, "SELECT visit_date FROM booking WHERE booking_id = :b", b=booking["booking_id"])
    assert visit_date == "2027-01-05"


def test_a_transferred_booking_and_its_documents_belong_to_the_new_owner(client, scheduling):
    booking = new_booking()
    client.event("booking_created", booking, "on_booking_created")
    doc = client.upload(booking["reservation_code"], "ktp", samples.pdf())  # by the holder (OWNER)
    dependent = {"user_id": "44444444-4444-4444-8444-444444444444", "role": "citizen", "office_code": None}
    with pytest.raises(NotFound):
        client.checklist(booking["reservation_code"], dependent)
    moved = {"booking_id": booking["booking_id"], "reservation_code": booking["reservation_code"],
             "user_id": dependent["user_id"], "previous_user_id": OWNER["user_id"]}  # fmt: skip
    client.event("booking_transferred", moved, "on_booking_transferred")
    answer = client.checklist(booking["reservation_code"], dependent)
    assert [e["document_id"] for e in answer["checklist"] if e["type"] == "ktp"] == [doc["document_id"]]
    with pytest.raises(NotFound):  # the holder's copy is gone with it
        client.checklist(booking["reservation_code"], OWNER)
