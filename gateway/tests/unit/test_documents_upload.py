"""The gateway's side of an upload: the size cap holds before the body is read and while it streams to
documents (the form and the file are judged there: services/documents/tests/unit/test_intake.py)."""

import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.errors import GatewayError
from gateway.routes.documents import body_chunks, document_id_or_404


def request(data=None, content_type=None, **kwargs):
    return Request(EnvironBuilder(method="POST", data=data, content_type=content_type, **kwargs).get_environ())


def code_of(req, limit=1000):
    with pytest.raises(GatewayError) as exc:
        b"".join(body_chunks(req, limit))
    return exc.value.code, exc.value.errors


def test_a_body_within_the_limit_is_passed_on_as_it_comes():
    req = request({"doc_type": "ktp", "file": (io.BytesIO(b"%PDF-1.4 ..."), "scan.pdf", "application/pdf")})
    body = b"".join(body_chunks(req, 1000, chunk=16))
    assert b"%PDF-1.4 ..." in body and len(body) == req.content_length


def test_an_announced_oversize_body_is_refused_without_reading_it():
    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    environ = EnvironBuilder(method="POST", content_type="multipart/form-data; boundary=x").get_environ()
    environ.update({"CONTENT_LENGTH": str(50 * 1024 * 1024), "wsgi.input": Unreadable()})
    assert code_of(Request(environ))[0] == "PAYLOAD_TOO_LARGE"


def test_a_chunked_body_is_counted_and_stopped_past_the_limit():
    environ = EnvironBuilder(method="POST", content_type="multipart/form-data; boundary=x").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * 1001)})
    assert code_of(Request(environ))[0] == "PAYLOAD_TOO_LARGE"
    environ.update({"wsgi.input": io.BytesIO(b"x" * 1000)})
    assert b"".join(body_chunks(Request(environ), 1000)) == b"x" * 1000


def test_a_body_cut_short_is_a_validation_error():
    environ = EnvironBuilder(method="POST", content_type="multipart/form-data; boundary=x").get_environ()
    environ.update({"CONTENT_LENGTH": "500", "wsgi.input": io.BytesIO(b"x" * 100)})
    assert code_of(Request(environ)) == ("VALIDATION_ERROR", {"file": ["the upload was cut short"]})


def test_a_document_id_that_is_not_a_uuid_is_simply_not_found():
    with pytest.raises(GatewayError) as exc:
        document_id_or_404("../../etc/passwd")
    assert exc.value.code == "NOT_FOUND"
    assert document_id_or_404("5B0F6A1E-8D0E-4A53-9A49-3F7F6C0F1B11") == "5b0f6a1e-8d0e-4a53-9a49-3f7f6c0f1b11"
