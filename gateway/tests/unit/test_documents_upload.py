"""The gateway's side of an upload: the size cap holds before the body is read, the form is validated."""

import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.errors import GatewayError
from gateway.routes.documents import document_id_or_404, read_upload


def request(data=None, content_type=None, **kwargs):
    return Request(EnvironBuilder(method="POST", data=data, content_type=content_type, **kwargs).get_environ())


def code_of(req, max_bytes=1000):
    with pytest.raises(GatewayError) as exc:
        read_upload(req, max_bytes)
    return exc.value.code, exc.value.errors


def test_a_good_form_gives_its_type_and_bytes():
    req = request({"doc_type": "ktp", "file": (io.BytesIO(b"%PDF-1.4 ..."), "scan.pdf", "application/pdf")})
    assert read_upload(req, 1000) == ("ktp", b"%PDF-1.4 ...")


def test_an_announced_oversize_body_is_refused_without_reading_it():
    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    environ = EnvironBuilder(method="POST", content_type="multipart/form-data; boundary=x").get_environ()
    environ.update({"CONTENT_LENGTH": str(50 * 1024 * 1024), "wsgi.input": Unreadable()})
    assert code_of(Request(environ))[0] == "PAYLOAD_TOO_LARGE"


def test_a_file_over_the_cap_inside_an_allowed_body_is_refused():
    req = request({"doc_type": "ktp", "file": (io.BytesIO(b"x" * 1001), "a.pdf")})
    assert code_of(req)[0] == "PAYLOAD_TOO_LARGE"


def test_form_mistakes_are_validation_errors_naming_the_field():
    code, errors = code_of(request({"doc_type": "ktp"}, content_type="multipart/form-data"))
    assert (code, list(errors)) == ("VALIDATION_ERROR", ["file"])
    code, errors = code_of(request({"doc_type": "KTP!", "file": (io.BytesIO(b"x"), "a"), "name": "x"}))
    assert code == "VALIDATION_ERROR" and set(errors) == {"doc_type", "name"}
    assert code_of(request({"doc_type": "ktp", "file": (io.BytesIO(b""), "a")}))[0] == "EMPTY_FILE"


def test_only_multipart_is_an_upload():
    assert code_of(request(b'{"doc_type": "ktp"}', content_type="application/json"))[0] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_document_id_that_is_not_a_uuid_is_simply_not_found():
    with pytest.raises(GatewayError) as exc:
        document_id_or_404("../../etc/passwd")
    assert exc.value.code == "NOT_FOUND"
    assert document_id_or_404("5B0F6A1E-8D0E-4A53-9A49-3F7F6C0F1B11") == "5b0f6a1e-8d0e-4a53-9a49-3f7f6c0f1b11"
