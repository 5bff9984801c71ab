"""What an uploaded file is, judged by its bytes alone (never its name or declared type), and whether it
parses: libmagic names the type, then pypdf or Pillow must read the whole file."""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

import magic
from PIL import Image
from pypdf import PdfReader

from documents.exceptions import DocumentUnreadable, EmptyFile, PayloadTooLarge, UnsupportedFileType

ACCEPTED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
MAX_PIXELS = 50_000_000  # a 5 MB PNG can still decompress to gigabytes; refuse anything bigger than this

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would log nothing useful per upload


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self):
        return ACCEPTED[self.content_type]


def check(content, max_bytes):
    """The file as accepted, or one of the upload errors."""
    if len(content) > max_bytes:
        raise PayloadTooLarge("the file is too large", max_bytes=max_bytes)
    content_type = judge(io.BytesIO(content), len(content))
    return CheckedFile(content, content_type, len(content), hashlib.sha256(content).hexdigest())


def judge(stream, size, run=lambda parse, *args: parse(*args)):
    """The content type of the file readable (and seekable) as ``stream``, ``size`` bytes long, or one of
    the upload errors. Reads what the parsers need, not necessarily all of it into memory at once (a PDF
    is read from its trailer; an image is decoded, which holds its pixels, bounded by ``MAX_PIXELS``).

    ``run(parse, *args)`` runs the slow part, the parser (documents: ``tpool.execute``, a real thread). The
    sniffing stays in the caller's green thread: python-magic guards its handle with a ``threading.Lock``,
    which eventlet has made green, and a green lock contended from two real threads stops the whole hub
    ("Cannot switch to a different thread"; the process then answers nothing)."""
    if not size:
        raise EmptyFile("the file is empty")
    stream.seek(0)
    content_type = magic.from_buffer(stream.read(65536), mime=True)
    if content_type not in ACCEPTED:
        raise UnsupportedFileType("only PDF, JPEG and PNG files are accepted", detected=content_type)
    stream.seek(0)
    run(_parse, stream, size, content_type)
    return content_type


def _parse(stream, size, content_type):
    try:
        if content_type == "application/pdf":
            _parse_pdf(stream, size)
        else:
            _parse_image(stream, "JPEG" if content_type == "image/jpeg" else "PNG")
    except DocumentUnreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; all mean "cannot be read"
        raise DocumentUnreadable("the file cannot be read", reason=type(exc).__name__) from None


def _parse_pdf(stream, size):
    # pypdf repairs small defects (strict=False), but a file cut short has lost its trailer: refuse it.
    stream.seek(max(size - 1024, 0))
    if b"%%EOF" not in stream.read(1024):
        raise DocumentUnreadable("the PDF is incomplete", reason="no end-of-file marker")
    stream.seek(0)
    reader = PdfReader(stream, strict=False)
    if reader.is_encrypted:
        raise DocumentUnreadable("the PDF is password-protected", reason="encrypted")
    if len(reader.pages) < 1:
        raise DocumentUnreadable("the PDF has no pages", reason="no pages")


def _parse_image(stream, expected_format):
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(stream, formats=[expected_format]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DocumentUnreadable("the image is too large", reason="too many pixels")
            image.load()  # decodes every pixel: a truncated image fails here, not at the officer's desk
