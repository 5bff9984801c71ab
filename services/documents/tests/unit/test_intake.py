"""An upload as it arrives: the form read from chunks (the checks the gateway made on a whole form before
uploads streamed), and the spool that holds only ciphertext yet reads back as the plaintext."""

import base64
import io
import os

import pytest
from urllib3 import encode_multipart_formdata

from documents import files, intake, samples
from documents.crypto import Keyring
from documents.exceptions import PayloadTooLarge, ValidationError

pytestmark = pytest.mark.unit
RING = Keyring("k1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())


def spool(memory_bytes=1024):
    return intake.SealedSpool(RING, "booking/doc", memory_bytes)


def form_of(fields, max_bytes=1000, chunk=7):
    body, content_type = encode_multipart_formdata(fields)
    boundary = content_type.split("boundary=")[1]
    chunks = (body[i : i + chunk] for i in range(0, len(body), chunk))
    return intake.read_form(chunks, boundary, max_bytes, spool)


def test_a_good_form_gives_its_type_and_the_file_in_the_spool():
    form = form_of({"doc_type": "ktp", "file": ("scan.pdf", b"%PDF-1.4 ...", "application/pdf")})
    assert (form.doc_type, form.errors, form.too_large) == ("ktp", {}, False)
    form.file.seal()
    assert form.file.size == 12 and form.file.plaintext().read() == b"%PDF-1.4 ..."


def test_form_mistakes_are_named_and_a_file_over_the_cap_is_marked_not_kept():
    form = form_of({"doc_type": "KTP!", "file": ("a", b"x"), "name": "x"})
    assert form.doc_type == "KTP!" and set(form.errors) == {"name"}  # doc_type's pattern: uploads.UploadForm
    assert form_of({"doc_type": "ktp"}).file is None
    big = form_of({"doc_type": "ktp", "file": ("a.pdf", b"x" * 1001)})
    assert big.too_large and big.file.size <= 1000
    with pytest.raises(ValidationError) as exc:
        form_of({"doc_type": "k" * 2000, "file": ("a", b"x")})
    assert "doc_type" in exc.value.errors


def test_a_form_cut_short_is_refused():
    body, content_type = encode_multipart_formdata({"doc_type": "ktp", "file": ("a.pdf", b"x" * 500)})
    with pytest.raises(ValidationError) as exc:
        intake.read_form(iter([body[:300]]), content_type.split("boundary=")[1], 1000, spool)
    assert exc.value.errors == {"file": ["the upload was cut short"]}


def test_the_spool_holds_the_object_as_stored_and_reads_back_anywhere():
    content = samples.pdf(200_000)
    s = spool(memory_bytes=4096)  # past this it is a temporary file
    for i in range(0, len(content), 10_000):
        s.write(content[i : i + 10_000])
    s.seal()
    blob = b"".join(s.blocks(size=7000))
    assert len(blob) == s.length and content[:64] not in blob and content[-64:] not in blob
    assert RING.decrypt(blob, "booking/doc") == content  # the download path opens it as before
    view = s.plaintext()
    for offset, size in ((0, 5), (65_530, 20), (len(content) - 100, 500), (123_457, 70_000)):
        view.seek(offset)
        assert view.read(size) == content[offset : offset + size]
    view.seek(-10, 2)
    assert view.read() == content[-10:]
    view.seek(0)
    assert files.sanitise(view.read(), files.Limits(2**26)).content_type == "application/pdf"


def test_a_body_over_its_cap_stops_at_the_cap():
    class Req:
        content_length = None
        environ = {}
        stream = io.BytesIO(b"x" * 5000)

    with pytest.raises(PayloadTooLarge):
        list(intake.body_chunks(Req(), 4000))
