"""The internal upload endpoint on real RabbitMQ, PostgreSQL and S3: only a valid, unused grant for the
booking opens it; a body too large or cut short stores nothing; memory stays bounded by buffers, not the
file's size."""

import hashlib
import io
import socket
import time
import tracemalloc
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import text

from antre_common.testing import wait_until
from documents import samples
from documents.crypto import Keyring
from documents.exceptions import PayloadTooLarge, UploadGrantInvalid, ValidationError
from documents.grants import Grants
from documents.service import DocumentsService

from .conftest import OWNER, Client, multipart, new_booking, raise_answer, stored_form

MB = 1024 * 1024


def objects(minio, config, prefix):
    return [o.object_name for o in minio.list_objects(config["S3_BUCKET"], prefix, recursive=True)]


def documents_of(db, booking):
    with db.connect() as conn:
        return conn.execute(
            text("SELECT document_id::text FROM document WHERE booking_id = :b"), {"b": booking["booking_id"]}
        ).all()


def send_form(client, grant, doc_type, content, booking_id=None):
    body, content_type = multipart(doc_type, content)
    return raise_answer(client.send(grant, body, {"Content-Type": content_type}, booking_id=booking_id))


def refused_for(client, grant, booking_id=None):
    with pytest.raises(UploadGrantInvalid) as exc:
        send_form(client, grant, "ktp", samples.pdf(), booking_id=booking_id)
    return exc.value.params["reason"]


@pytest.fixture
def booking(client, scheduling):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    return booking


def test_a_grant_opens_one_upload_and_only_for_its_booking(client, scheduling, booking, minio, config, db):
    other = new_booking()
    scheduling[other["reservation_code"]] = other
    grant = client.grant(booking["reservation_code"])
    assert grant["booking_id"] == booking["booking_id"]

    assert refused_for(client, grant, booking_id=other["booking_id"]) == "other_booking"
    content = samples.pdf(3000)
    doc = send_form(client, grant, "ktp", content)
    assert doc["sha256"] == hashlib.sha256(stored_form(content)).hexdigest()
    assert refused_for(client, grant) == "used"  # the same grant again, even for the same file

    assert objects(minio, config, other["booking_id"]) == [] and documents_of(db, other) == []
    assert [r.document_id for r in documents_of(db, booking)] == [doc["document_id"]]


def test_expired_forged_or_missing_grants_are_refused_and_store_nothing(client, booking, minio, config, db):
    ring = Keyring(config["DOCUMENTS_KEYS"]).ring
    principal_booking = SimpleNamespace(booking_id=booking["booking_id"], reservation_code=booking["reservation_code"])
    expired = Grants(None, ring, -60).issue(OWNER, principal_booking)  # signed with the real key, but old
    assert refused_for(client, {"booking_id": booking["booking_id"], "grant": expired}) == "expired"

    good = client.grant(booking["reservation_code"])["grant"]
    version, kid, payload, mac = good.split(".")
    stranger = Grants(None, Keyring("t1:" + "A" * 43 + "=").ring, 60).issue(OWNER, principal_booking)
    other_payload = stranger.split(".")[2]
    for forged in (
        f"{version}.{kid}.{other_payload}.{mac}",  # another payload under a real signature
        stranger,  # a well-made grant signed with another key of the same id
        f"{version}.nokey.{payload}.{mac}",
        "not a grant",
        "",
    ):
        assert refused_for(client, {"booking_id": booking["booking_id"], "grant": forged}) == "forged"
    assert objects(minio, config, booking["booking_id"]) == [] and documents_of(db, booking) == []
    # The real grant was never used by the forgeries: it still works, once.
    send_form(client, {"booking_id": booking["booking_id"], "grant": good}, "ktp", samples.pdf())


def test_a_body_too_large_is_413_announced_or_counted(client, booking, minio, config, db):
    # config: DOCUMENTS_MAX_BYTES = 1 MiB
    body, content_type = multipart("ktp", samples.pdf_of_size(3 * MB))
    grant = client.grant(booking["reservation_code"])
    with pytest.raises(PayloadTooLarge):  # Content-Length over the cap: refused before reading
        raise_answer(client.send(grant, body, {"Content-Type": content_type}))

    def chunked():  # no Content-Length: counted as it comes
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    grant = client.grant(booking["reservation_code"])
    try:
        answer = client.send(grant, chunked(), {"Content-Type": content_type})
    except requests.ConnectionError:
        answer = None  # the service may close the connection as soon as the count passes the cap
    if answer is not None:
        with pytest.raises(PayloadTooLarge):
            raise_answer(answer)
    assert objects(minio, config, booking["booking_id"]) == [] and documents_of(db, booking) == []


def test_a_stream_cut_half_way_leaves_nothing_stored(client, booking, minio, config, db, internal_client):
    def cut_count():
        metrics = requests.get(internal_client.base_url + "/metrics", timeout=5).text
        line = [x for x in metrics.splitlines() if x.startswith('antre_documents_uploads_total{outcome="VALIDATION')]
        return float(line[0].rsplit(" ", 1)[1]) if line else 0.0

    before = cut_count()
    grant = client.grant(booking["reservation_code"])
    body, content_type = multipart("ktp", samples.pdf_of_size(800 * 1024))
    host, port = client.base_url.removeprefix("http://").split(":")
    head = (
        f"POST /internal/v1/bookings/{booking['booking_id']}/documents HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nX-Upload-Grant: {grant['grant']}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.2)  # let the service read what came before the connection drops
    wait_until(lambda: cut_count() > before, timeout=15)
    assert objects(minio, config, booking["booking_id"]) == [] and documents_of(db, booking) == []
    send_form(client, client.grant(booking["reservation_code"]), "ktp", samples.pdf())  # and uploads go on


def test_a_chunked_body_is_read_to_its_last_chunk(client, booking):
    content = samples.pdf(300_000)
    body, content_type = multipart("kk", content)
    grant = client.grant(booking["reservation_code"])
    pieces = (body[i : i + 10_000] for i in range(0, len(body), 10_000))
    doc = raise_answer(client.send(grant, pieces, {"Content-Type": content_type}))
    stored = stored_form(content)
    assert (doc["size"], doc["sha256"]) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert client.content(doc["document_id"]) == stored


def test_memory_per_upload_is_bounded_by_buffers_not_the_file(
    config, container_factory, scheduling, minio, db, test_tokens
):
    big = {**config, "DOCUMENTS_MAX_BYTES": 32 * MB}
    container = container_factory(DocumentsService, big)
    container.start()
    client = Client(container, big, test_tokens)
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    content = samples.pdf_of_size(20 * MB)
    body, content_type = multipart("ktp", content)
    grant = client.grant(booking["reservation_code"])
    sent = io.BytesIO(body)  # read in blocks: eventlet's sendall would copy a 20 MB bytes on this side

    tracemalloc.start()
    try:
        answer = client.send(grant, sent, {"Content-Type": content_type})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    doc = raise_answer(answer)
    stored = stored_form(content)  # judged and rebuilt in a sandbox process: its memory is not traced here
    assert doc["size"] == len(stored)
    print(f"traced peak {peak / MB:.2f} MiB for a {len(content) / MB:.0f} MiB upload")
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MiB for a {len(content) / MB:.0f} MiB upload"
    with db.connect() as conn:
        key = conn.execute(text("SELECT object_key FROM document WHERE document_id = :d"), {"d": doc["document_id"]})
        key = key.scalar_one()
    blob = minio.get_object(config["S3_BUCKET"], key).read()  # what the download path decrypts
    assert Keyring(config["DOCUMENTS_KEYS"]).decrypt(blob, key) == stored


def test_a_missing_file_or_a_bad_field_is_a_validation_error(client, booking):
    grant = client.grant(booking["reservation_code"])
    body, content_type = multipart("ktp", b"")
    body = body.replace(b'name="file"', b'name="other"')
    with pytest.raises(ValidationError) as exc:
        raise_answer(client.send(grant, body, {"Content-Type": content_type}))
    assert set(exc.value.errors) == {"file", "other"}
