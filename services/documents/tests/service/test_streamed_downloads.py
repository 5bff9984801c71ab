"""The internal download endpoint on real RabbitMQ, PostgreSQL and S3: a file leaves documents only over HTTP
to the holder of a download grant for that very document, never inside an RPC reply, and every grant is a
read recorded before the first byte can leave."""

import hashlib
import time

import pytest
from sqlalchemy import text

from documents import samples
from documents.crypto import Keyring
from documents.exceptions import DownloadGrantInvalid, NotFound, UploadGrantInvalid
from documents.grants import DownloadGrants, Grants

from .conftest import OWNER, error_of, new_booking, stored_form

SCAN = samples.pdf(3000)  # random padding: one file for the module, so its stored form can be compared


@pytest.fixture
def two_documents(client, scheduling):
    booking = new_booking()
    scheduling[booking["reservation_code"]] = booking
    code = booking["reservation_code"]
    return booking, client.upload(code, "ktp", SCAN), client.upload(code, "kk", samples.jpeg())


def refused(client, document_id, grant):
    served = client.fetch(document_id, grant)
    assert served.status_code in (403, 404), served.text
    raise error_of(served)


def views(db):
    with db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE event_type = 'document_viewed'")).scalar()


def test_a_grant_serves_its_document_and_no_other(client, two_documents, db):
    _, pdf, jpeg = two_documents
    before = views(db)
    grant = client.call("download_grant", pdf["document_id"], as_=OWNER)
    assert views(db) == before + 1  # the read is in the audit trail before the file can leave
    assert grant["filename"] == "ktp.pdf" and grant["content_type"] == "application/pdf"
    assert "content_b64" not in grant and set(grant) >= {"grant", "sha256", "size"}

    served = client.fetch(pdf["document_id"], grant["grant"])
    assert served.status_code == 200 and served.headers["Content-Type"] == "application/pdf"
    assert served.content == stored_form(SCAN)
    assert hashlib.sha256(served.content).hexdigest() == pdf["sha256"] == grant["sha256"]
    assert int(served.headers["Content-Length"]) == grant["size"]

    with pytest.raises(DownloadGrantInvalid) as other:
        refused(client, jpeg["document_id"], grant["grant"])  # the PDF's grant at the JPEG's address
    assert other.value.params["reason"] == "other_document"


def test_forged_expired_missing_or_upload_grants_open_nothing(client, two_documents, config):
    booking, pdf, _ = two_documents
    ring = Keyring(config["DOCUMENTS_KEYS"]).ring
    expired = DownloadGrants(ring, seconds=-60).issue(OWNER, pdf["document_id"])  # the real key, but old
    stranger = DownloadGrants(Keyring("t1:" + "A" * 43 + "=").ring).issue(OWNER, pdf["document_id"])
    good = client.call("download_grant", pdf["document_id"], as_=OWNER)["grant"]
    version, kid, payload, mac = good.split(".")
    upload_grant = client.grant(booking["reservation_code"])["grant"]  # a real grant, of the other kind
    upload_shaped = Grants(None, ring, 60)._sign({"d": pdf["document_id"], "p": OWNER}, time.time())
    cases = {
        "expired": (expired, "expired"),
        "another key of the same id": (stranger, "forged"),
        "another payload under a real signature": (f"{version}.{kid}.{stranger.split('.')[2]}.{mac}", "forged"),
        "an upload grant": (upload_grant, "forged"),
        "download fields under the upload key": (upload_shaped, "forged"),
        "garbage": ("not a grant", "forged"),
        "no header": (None, "forged"),
    }
    for name, (grant, reason) in cases.items():
        with pytest.raises(DownloadGrantInvalid) as exc:
            refused(client, pdf["document_id"], grant)
        assert exc.value.params["reason"] == reason, name
    assert client.fetch(pdf["document_id"], good).status_code == 200  # the forgeries left the real one working


def test_a_document_replaced_after_its_grant_is_404_not_the_new_file(client, two_documents):
    booking, pdf, _ = two_documents
    grant = client.call("download_grant", pdf["document_id"], as_=OWNER)["grant"]
    client.upload(booking["reservation_code"], "ktp", samples.pdf(4000))  # replaces the PDF: a new document id
    with pytest.raises(NotFound):
        refused(client, pdf["document_id"], grant)


def test_an_upload_grant_is_no_download_grant_either_way(client, two_documents):
    booking, pdf, _ = two_documents
    download = client.call("download_grant", pdf["document_id"], as_=OWNER)["grant"]
    sent = client.send({"booking_id": booking["booking_id"], "grant": download}, b"x", {"Content-Type": "text/plain"})
    with pytest.raises(UploadGrantInvalid) as exc:
        raise error_of(sent)
    assert exc.value.params["reason"] == "forged"
