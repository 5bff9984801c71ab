"""Uploads made harmless (issue 17), through the real path (grant, streamed body, sandbox, S3, PostgreSQL):
each attack file is refused with its code or stored without its attack; a bomb fails its own upload in a
sandbox worker while the service and the next upload carry on; Idempotency-Key gives the first answer."""

import io
import threading

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import text

from documents import samples
from documents.crypto import Keyring
from documents.exceptions import (
    DocumentTooComplex,
    IdempotencyKeyReused,
    ImageTooLarge,
    UnsupportedFileType,
    ValidationError,
)
from documents.service import DocumentsService

from .conftest import Client, multipart, new_booking, raise_answer

pytestmark = pytest.mark.service
MB = 1024 * 1024


def rows(db, sql, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def raw_object(minio, config, db, document_id):
    """The object as S3 holds it, decrypted: what every later download is made from."""
    [(key,)] = rows(db, "SELECT object_key FROM document WHERE document_id = :d", d=document_id)
    blob = minio.get_object(config["S3_BUCKET"], key).read()
    return Keyring(config["DOCUMENTS_KEYS"]).decrypt(blob, key)


def send(client, grant, doc_type, content, headers=None):
    body, content_type = multipart(doc_type, content)
    return raise_answer(client.send(grant, body, {"Content-Type": content_type, **(headers or {})}))


@pytest.fixture
def booking(scheduling):
    made = new_booking()
    scheduling[made["reservation_code"]] = made
    return made


# Each attack file, and the bytes that must not be in what is stored.
STORED_WITHOUT = [
    ("pdf_open_action_javascript", "application/pdf", [samples.SCRIPT, b"/OpenAction", b"/JavaScript", b"/AA"]),
    ("pdf_embedded_file_and_launch", "application/pdf", [samples.PAYLOAD, b"/EmbeddedFile", b"/Launch", b"/URI"]),
    ("pdf_html_polyglot", "application/pdf", [b"<script", b"<html"]),
    ("png_with_zip", "image/png", [b"PK\x03\x04", samples.ZIP_NAME.encode()]),
    ("jpeg_with_gps", "image/jpeg", [b"Exif", b"PhoneMaker"]),
]


@pytest.mark.parametrize(("make", "content_type", "absent"), STORED_WITHOUT, ids=[c[0] for c in STORED_WITHOUT])
def test_each_attack_file_is_stored_without_its_attack(client, booking, minio, config, db, make, content_type, absent):
    attack = getattr(samples, make)()
    assert all(marker in attack for marker in absent[:1])  # the test file does carry the attack
    doc = client.upload(booking["reservation_code"], "ktp", attack)
    assert doc["content_type"] == content_type
    stored = raw_object(minio, config, db, doc["document_id"])
    assert stored == client.content(doc["document_id"])
    for marker in absent:
        assert marker not in stored, marker
    if content_type == "application/pdf":
        with pikepdf.open(io.BytesIO(stored)) as pdf:
            assert len(pdf.pages) == 1 and "/OpenAction" not in pdf.Root and len(pdf.attachments) == 0
    else:
        with Image.open(io.BytesIO(stored)) as image:
            image.load()
            assert not image.getexif()


def test_the_pixel_bomb_is_refused_before_decoding_and_leaves_nothing(client, booking, minio, config, db):
    with pytest.raises(ImageTooLarge) as exc:
        client.upload(booking["reservation_code"], "foto", samples.pixel_bomb())
    assert (exc.value.params["width"], exc.value.params["height"]) == (7000, 7000)
    assert rows(db, "SELECT * FROM document WHERE booking_id = :b", b=booking["booking_id"]) == []
    assert list(minio.list_objects(config["S3_BUCKET"], booking["booking_id"] + "/", recursive=True)) == []


def test_html_is_refused_as_before(client, booking):
    with pytest.raises(UnsupportedFileType):
        client.upload(booking["reservation_code"], "ktp", samples.html())


def test_a_bomb_past_the_pixel_bound_fails_its_upload_alone(config, container_factory, scheduling, db, test_tokens):
    # The pixel bound set far too high, so only the sandbox's memory limit stands between the 196 MB decode
    # and the service: the bomb's upload fails, a normal upload at the same time and the next one succeed.
    loose = {
        **config,
        "DOCUMENTS_MAX_DECODED_BYTES": 4096 * MB,
        "DOCUMENTS_SANDBOX_MEMORY_BYTES": 160 * MB,
        "DOCUMENTS_SANDBOX_WORKERS": 2,
    }
    container = container_factory(DocumentsService, loose)
    container.start()
    client = Client(container, loose, test_tokens)
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    code = booking["reservation_code"]
    answers = {}

    def upload(name, grant, doc_type, content):
        try:
            answers[name] = send(client, grant, doc_type, content)
        except Exception as exc:  # noqa: BLE001 - the test looks at which
            answers[name] = exc

    threads = [  # grants first (an entrypoint hook is not for concurrent callers), then the bodies at once
        threading.Thread(target=upload, args=("bomb", client.grant(code), "foto", samples.pixel_bomb())),
        threading.Thread(target=upload, args=("beside", client.grant(code), "kk", samples.jpeg(800, 600))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert isinstance(answers["bomb"], DocumentTooComplex), answers["bomb"]
    assert answers["bomb"].params == {"reason": "memory"}
    assert answers["beside"]["status"] == "uploaded"
    after = client.upload(code, "ktp", samples.pdf())
    assert after["status"] == "uploaded"
    assert client.call("ping")["status"] == "up"
    assert {r.doc_type for r in rows(db, "SELECT doc_type FROM document WHERE booking_id = :b",
                                     b=booking["booking_id"])} == {"kk", "ktp"}  # fmt: skip


def test_the_same_idempotency_key_gives_the_first_answer_and_another_file_is_refused(client, booking, db):
    code = booking["reservation_code"]
    content = samples.pdf(2000)
    key = {"Idempotency-Key": "upload-ktp-1"}
    first = client.upload(code, "ktp", content, headers=key)
    again = client.upload(code, "ktp", content, headers=key)
    assert again == first
    with pytest.raises(IdempotencyKeyReused):
        client.upload(code, "ktp", samples.pdf(2000), headers=key)  # another file under the same key
    with pytest.raises(IdempotencyKeyReused):
        client.upload(code, "kk", content, headers=key)  # the same file as another document
    replaced = client.upload(code, "ktp", samples.png(), headers={"Idempotency-Key": "upload-ktp-2"})
    assert client.upload(code, "ktp", content, headers=key) == first  # still the first answer
    docs = rows(db, "SELECT document_id::text FROM document WHERE booking_id = :b", b=booking["booking_id"])
    assert [d.document_id for d in docs] == [replaced["document_id"]]
    events = rows(db, "SELECT event_type FROM outbox WHERE event_type = 'document_uploaded'")
    assert len(events) >= 2
    with pytest.raises(ValidationError) as exc:
        client.upload(code, "ktp", content, headers={"Idempotency-Key": "k" * 101})
    assert "Idempotency-Key" in exc.value.errors


def test_concurrent_uploads_with_one_key_store_one_document(client, booking, db):
    code = booking["reservation_code"]
    content = samples.pdf(50_000)
    answers = []
    grants = [client.grant(code) for _ in range(3)]
    threads = [
        threading.Thread(target=lambda g=g: answers.append(send(client, g, "ktp", content, {"Idempotency-Key": "k"})))
        for g in grants
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 3 and len({a["document_id"] for a in answers}) == 1
    assert len(rows(db, "SELECT * FROM document WHERE booking_id = :b", b=booking["booking_id"])) == 1
