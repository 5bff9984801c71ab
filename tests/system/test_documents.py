"""Documents through the gateway against the real store: uploads judged by content, encrypted at rest,
the access matrix of every documents route, review, and an outage of the store."""

import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from minio import Minio

from documents import files, samples

from .tokens import bearer, citizen, staff

OFFICE, SERVICE = "BDG", "paspor_baru"
MB = 1024 * 1024


def stored_form(content):
    return files.sanitise(content, files.Limits(max_decoded_bytes=2**26)).content


def book(stack, gateway, person):
    slots = gateway.get(f"/api/v1/offices/{OFFICE}/availability", params={"service": SERVICE}).json()
    later = datetime.now(UTC) + timedelta(hours=30)
    slot = next(s for s in slots if datetime.fromisoformat(s["start"]) > later and s["remaining"] > 0)
    created = gateway.post(
        "/api/v1/bookings",
        json={"slot_id": slot["slot_id"], "service_code": SERVICE},
        headers=bearer(stack, person),
    )
    assert created.status_code == 201, created.text
    return created.json()["reservation_code"]


def upload(gateway, stack, person, code, doc_type, content, filename="scan.pdf", mimetype="application/pdf"):
    return gateway.post(
        f"/api/v1/bookings/{code}/documents",
        data={"doc_type": doc_type},
        files={"file": (filename, content, mimetype)},
        headers=bearer(stack, person) if person else {},
    )


@pytest.fixture
def owner():
    return citizen()


@pytest.fixture
def booking(stack, gateway, owner):
    return book(stack, gateway, owner)


def test_each_accepted_type_is_stored_encrypted_and_served_back(stack, gateway, owner, booking):
    sent = {"ktp": samples.pdf(5000), "kartu_keluarga": samples.jpeg(), "akta_kelahiran": samples.png()}
    for doc_type, content in sent.items():
        response = upload(gateway, stack, owner, booking, doc_type, content)
        assert response.status_code == 201, response.text
        doc = response.json()
        stored = stored_form(content)  # the sanitised copy is what is kept and served
        assert (doc["doc_type"], doc["status"], doc["size"]) == (doc_type, "uploaded", len(stored))
        assert doc["sha256"] == hashlib.sha256(stored).hexdigest()
        served = gateway.get(f"/api/v1/documents/{doc['document_id']}/content", headers=bearer(stack, owner))
        assert served.status_code == 200
        assert served.content == stored
        assert served.headers["Cache-Control"] == "private, no-store"
        assert served.headers["Content-Type"] == doc["content_type"]  # the judged type, not the one sent
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Security-Policy"].startswith("sandbox;")

    checklist = gateway.get(f"/api/v1/bookings/{booking}/documents", headers=bearer(stack, owner)).json()
    assert checklist["complete"] is True
    by_type = {e["type"]: e for e in checklist["checklist"]}
    assert {t: by_type[t]["status"] for t in sent} == dict.fromkeys(sent, "uploaded")
    assert by_type["surat_penetapan_nama"] == {
        **by_type["surat_penetapan_nama"],
        "status": "missing",
        "required": False,
    }

    env = stack.env()
    store = Minio(env["S3_ENDPOINT"], access_key=env["S3_ACCESS_KEY"], secret_key=env["S3_SECRET_KEY"], secure=False)
    raw = [store.get_object("antre-documents", o.object_name).read() for o in store.list_objects(
        "antre-documents", recursive=True)]  # fmt: skip
    for content in sent.values():
        assert not any(content[:32] in blob or content[-64:] in blob for blob in raw)


@pytest.mark.parametrize(
    ("case", "doc_type", "content", "filename", "mimetype", "status", "code"),
    [
        ("oversize", "ktp", samples.pdf_of_size(5 * MB + 1), "big.pdf", "application/pdf", 413, "PAYLOAD_TOO_LARGE"),
        ("empty", "ktp", b"", "empty.pdf", "application/pdf", 400, "EMPTY_FILE"),
        ("exe as pdf", "ktp", samples.windows_executable(), "ktp.pdf", "application/pdf", 415, "UNSUPPORTED_FILE_TYPE"),
        ("html as png", "ktp", samples.html(), "ktp.png", "image/png", 415, "UNSUPPORTED_FILE_TYPE"),
        (
            "truncated pdf",
            "ktp",
            samples.truncated(samples.pdf(4000)),
            "ktp.pdf",
            "application/pdf",
            422,
            "DOCUMENT_UNREADABLE",
        ),
        (
            "wrong doc_type",
            "surat_kehilangan",
            samples.pdf(),
            "x.pdf",
            "application/pdf",
            422,
            "DOC_TYPE_NOT_ON_CHECKLIST",
        ),
        ("bad doc_type", "../../etc", samples.pdf(), "x.pdf", "application/pdf", 400, "VALIDATION_ERROR"),
        ("pixel bomb", "ktp", samples.pixel_bomb(), "ktp.png", "image/png", 422, "IMAGE_TOO_LARGE"),
    ],  # fmt: skip
)
def test_refused_uploads_get_their_documented_answer(
    stack, gateway, owner, booking, case, doc_type, content, filename, mimetype, status, code
):
    response = upload(gateway, stack, owner, booking, doc_type, content, filename, mimetype)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    checklist = gateway.get(f"/api/v1/bookings/{booking}/documents", headers=bearer(stack, owner)).json()
    assert all(e["status"] == "missing" for e in checklist["checklist"])


def multipart_pieces(content, boundary=b"antre-contract", piece=64 * 1024):
    """A multipart upload (doc_type ktp, file big.pdf) as pieces: requests sends a generator chunked."""
    yield b'--%s\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\nktp\r\n' % boundary
    yield b'--%s\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n' % boundary
    yield b"Content-Type: application/pdf\r\n\r\n"
    for start in range(0, len(content), piece):
        yield content[start : start + piece]
    yield b"\r\n--%s--\r\n" % boundary


@pytest.mark.parametrize("framing", ["chunked", "content-length, connection close"])
def test_an_upload_over_the_cap_is_413_however_it_is_sent_and_the_client_reads_it(
    stack, gateway, owner, booking, framing
):
    """Issue 17, finding 4, end to end with a real booking: a chunked 7 MB upload answered 400 "file missing"
    (counted as it comes since issue 18: 413), and a 12 MB one got its 413 and a reset (a lingering close now;
    the test that fails without it sends while it reads, as a browser does: gateway/tests/service/
    test_http_edge.py; requests reads an early answer even after a failed send)."""
    size = 7 * MB if framing == "chunked" else 12 * MB
    pieces = multipart_pieces(samples.pdf_of_size(size))
    headers = {**bearer(stack, owner), "Content-Type": "multipart/form-data; boundary=antre-contract"}
    if framing == "chunked":
        body = pieces
    else:
        body, headers["Connection"] = b"".join(pieces), "close"
    response = requests.post(f"{stack.config.gateway_url}/api/v1/bookings/{booking}/documents", data=body,
                             headers=headers, timeout=60)  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE"), response.text
    assert response.json()["max_bytes"] == 5 * MB
    checklist = gateway.get(f"/api/v1/bookings/{booking}/documents", headers=bearer(stack, owner)).json()
    assert all(e["status"] == "missing" for e in checklist["checklist"])


def test_a_json_body_is_not_an_upload(stack, gateway, owner, booking):
    response = gateway.post(
        f"/api/v1/bookings/{booking}/documents", json={"doc_type": "ktp"}, headers=bearer(stack, owner)
    )
    assert (response.status_code, response.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_every_documents_route_answers_each_caller_exactly(stack, gateway, owner, booking):
    doc = upload(gateway, stack, owner, booking, "ktp", samples.pdf()).json()
    callers = {
        "owner": owner,
        "other citizen": citizen(),
        "office staff": staff("officer", OFFICE),
        "other office staff": staff("officer", "SBY"),
        "anonymous": None,
    }
    routes = {
        "upload": lambda who: upload(gateway, stack, who, booking, "kartu_keluarga", samples.png()),
        "checklist": lambda who: gateway.get(f"/api/v1/bookings/{booking}/documents", headers=auth(stack, who)),
        "content": lambda who: gateway.get(f"/api/v1/documents/{doc['document_id']}/content", headers=auth(stack, who)),
        "review": lambda who: gateway.post(
            f"/api/v1/documents/{doc['document_id']}/review", json={"decision": "approved"}, headers=auth(stack, who)
        ),
    }
    expected = {
        "owner": {"upload": 201, "checklist": 200, "content": 200, "review": 403},
        "other citizen": {"upload": 404, "checklist": 404, "content": 404, "review": 404},
        "office staff": {"upload": 403, "checklist": 200, "content": 200, "review": 200},
        "other office staff": {"upload": 404, "checklist": 404, "content": 404, "review": 404},
        "anonymous": {"upload": 401, "checklist": 401, "content": 401, "review": 401},
    }
    actual = {name: {route: call(who).status_code for route, call in routes.items()} for name, who in callers.items()}
    assert actual == expected
    missing = gateway.get(f"/api/v1/documents/{uuid.uuid4()}/content", headers=bearer(stack, owner))
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    assert gateway.get("/api/v1/documents/not-a-uuid/content", headers=bearer(stack, owner)).status_code == 404


def auth(stack, who):
    return bearer(stack, who) if who else {}


def test_staff_reject_with_a_reason_and_the_citizen_sees_what_to_fix(stack, gateway, owner, booking):
    doc = upload(gateway, stack, owner, booking, "ktp", samples.jpeg()).json()
    officer = bearer(stack, staff("officer", OFFICE), **{"Accept-Language": "en"})
    url = f"/api/v1/documents/{doc['document_id']}/review"
    no_reason = gateway.post(url, json={"decision": "rejected"}, headers=officer)
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "VALIDATION_ERROR")
    rejected = gateway.post(url, json={"decision": "rejected", "reason": "Foto KTP buram"}, headers=officer)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "Foto KTP buram")
    entry = next(
        e
        for e in gateway.get(f"/api/v1/bookings/{booking}/documents", headers=bearer(stack, owner)).json()["checklist"]
        if e["type"] == "ktp"
    )
    assert (entry["status"], entry["reason"]) == ("rejected", "Foto KTP buram")

    replaced = upload(gateway, stack, owner, booking, "ktp", samples.pdf()).json()
    assert replaced["document_id"] != doc["document_id"] and replaced["status"] == "uploaded"
    old = gateway.get(f"/api/v1/documents/{doc['document_id']}/content", headers=bearer(stack, owner))
    assert old.status_code == 404


def test_while_the_store_is_down_uploads_answer_503_and_nothing_stored_is_lost(stack, gateway, owner, booking):
    content = samples.pdf(3000)
    kept = upload(gateway, stack, owner, booking, "ktp", content).json()
    stack.stop_s3()
    try:
        response = upload(gateway, stack, owner, booking, "ktp", samples.png())
        assert (response.status_code, response.json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    finally:
        stack.start_s3()
    deadline = time.monotonic() + 30  # a restarted SeaweedFS answers 500 until its volume server is back
    while True:
        served = gateway.get(f"/api/v1/documents/{kept['document_id']}/content", headers=bearer(stack, owner))
        if served.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (served.status_code, served.content) == (200, stored_form(content))


def test_the_upload_form_is_in_the_openapi_contract(gateway):
    spec = gateway.get("/api/v1/openapi.json").json()
    upload = spec["paths"]["/api/v1/bookings/{code}/documents"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form == {"$ref": "#/components/schemas/UploadForm"}
    assert spec["components"]["schemas"]["UploadForm"]["properties"]["file"]["format"] == "binary"
    assert "201" in upload["responses"]
    errors = upload["responses"]["422"]["description"]
    assert all(code in errors for code in ("IMAGE_TOO_LARGE", "DOCUMENT_TOO_COMPLEX", "IDEMPOTENCY_KEY_REUSED"))
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= next(
        p for p in upload["parameters"] if p["name"] == "Idempotency-Key"
    ).items()


# Each attack file of issue 17 and what must not be in the copy that is served.
ATTACKS = [
    ("pdf_open_action_javascript", [samples.SCRIPT, b"/OpenAction", b"/JavaScript"]),
    ("pdf_embedded_file_and_launch", [samples.PAYLOAD, b"/EmbeddedFile", b"/Launch"]),
    ("pdf_html_polyglot", [samples.HTML_SCRIPT, b"<html"]),
    ("png_with_zip", [b"PK\x03\x04", samples.ZIP_NAME.encode()]),
    ("jpeg_with_gps", [b"Exif", b"PhoneMaker"]),
]


def test_attack_files_are_served_only_in_their_harmless_form(stack, gateway, owner, booking):
    for make, absent in ATTACKS:
        attack = getattr(samples, make)()
        assert absent[0] in attack
        response = upload(gateway, stack, owner, booking, "ktp", attack, "scan.html", "text/html")
        assert response.status_code == 201, (make, response.text)
        doc = response.json()
        served = gateway.get(f"/api/v1/documents/{doc['document_id']}/content", headers=bearer(stack, owner))
        assert served.headers["Content-Type"] == doc["content_type"] != "text/html"
        assert served.headers["Content-Security-Policy"].startswith("sandbox;")
        assert served.content == stored_form(attack)
        assert not [marker for marker in absent if marker in served.content], make


def test_uploads_honour_idempotency_key(stack, gateway, owner, booking):
    content = samples.pdf(3000)
    key = {"Idempotency-Key": str(uuid.uuid4()), **bearer(stack, owner)}
    url = f"/api/v1/bookings/{booking}/documents"
    first = gateway.post(url, data={"doc_type": "ktp"}, files={"file": ("a.pdf", content)}, headers=key)
    again = gateway.post(url, data={"doc_type": "ktp"}, files={"file": ("a.pdf", content)}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    other = gateway.post(url, data={"doc_type": "ktp"}, files={"file": ("b.pdf", samples.pdf(3000))}, headers=key)
    assert (other.status_code, other.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    checklist = gateway.get(url, headers=bearer(stack, owner)).json()
    ktp = next(e for e in checklist["checklist"] if e["type"] == "ktp")
    assert ktp["document_id"] == first.json()["document_id"]
