"""Valid (and deliberately broken) files for tests and the upload benchmark, made on the fly."""

import io
import os

from PIL import Image
from pypdf import PdfWriter


def pdf(padding=0):
    """A one-page PDF; ``padding`` random bytes ride along as an attachment (random: each file differs)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": "Antre test document"})
    if padding:
        writer.add_attachment("padding.bin", os.urandom(padding))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_of_size(size):
    """A valid PDF of about ``size`` bytes (a little over)."""
    return pdf(max(size - len(pdf()), 0))


def image(fmt="PNG", width=64, height=48):
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def jpeg(width=64, height=48):
    return image("JPEG", width, height)


def png(width=64, height=48):
    return image("PNG", width, height)


def truncated(content, keep=0.6):
    return content[: int(len(content) * keep)]


def windows_executable():
    """The start of a PE file: what a renamed ``.exe`` looks like to a content sniffer."""
    header = bytearray(512)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")
    header[0x80:0x84] = b"PE\0\0"
    return bytes(header) + os.urandom(2048)


def html():
    return b"<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n"
