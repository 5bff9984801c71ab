"""Files are judged by their bytes: the accepted types pass, everything else is refused with its reason."""

import hashlib

import pytest

from documents import files, samples
from documents.exceptions import DocumentUnreadable, EmptyFile, PayloadTooLarge, UnsupportedFileType

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("make", "content_type"),
    [(samples.pdf, "application/pdf"), (samples.jpeg, "image/jpeg"), (samples.png, "image/png")],
)
def test_each_accepted_type_is_recognised_and_hashed(make, content_type):
    content = make()
    checked = files.check(content, 5 * MB)
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    "content",
    [samples.windows_executable(), samples.html(), b"just some text\n", b"\x7fELF\x02\x01\x01" + bytes(300)],
    ids=["exe", "html", "text", "elf"],
)
def test_other_content_is_refused_whatever_it_claims_to_be(content):
    with pytest.raises(UnsupportedFileType):
        files.check(content, 5 * MB)


@pytest.mark.parametrize("make", [samples.pdf, samples.jpeg, samples.png])
def test_a_truncated_file_of_an_accepted_type_is_unreadable(make):
    with pytest.raises(DocumentUnreadable):
        files.check(samples.truncated(make()), 5 * MB)


def test_a_png_header_on_garbage_is_unreadable():
    content = samples.png()[:64] + b"\0" * 4096
    with pytest.raises(DocumentUnreadable):
        files.check(content, 5 * MB)


def test_empty_and_oversize_files_are_refused_before_parsing():
    with pytest.raises(EmptyFile):
        files.check(b"", 5 * MB)
    big = samples.pdf_of_size(MB + 10)
    with pytest.raises(PayloadTooLarge) as exc:
        files.check(big, MB)
    assert exc.value.params["max_bytes"] == MB


def test_an_image_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_PIXELS", 100)
    with pytest.raises(DocumentUnreadable):
        files.check(samples.png(20, 20), 5 * MB)
