"""Valid (and deliberately broken or hostile) files for tests and the upload benchmark, made on the fly."""

import functools
import io
import os
import struct
import zipfile
import zlib

import pikepdf
from PIL import Image

# What the hostile samples carry, so a test can look for it in what was stored.
SCRIPT = b"var owned = app.viewerVersion;"  # no parentheses: PDF strings escape them
PAYLOAD = b"EMBEDDED-PAYLOAD-0123456789"
HTML_SCRIPT = b"<script>alert(document.domain)</script>"
ZIP_NAME = "shell.jsp"


def _save(pdf, **options):
    """The file's bytes, with an /ID made from its content: qpdf otherwise derives it from the clock, and the
    sanitised copy keeps it, so a test's expected stored form would differ from a second earlier's upload."""
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, **options)
    return out.getvalue()


def _blank():
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Title"] = "Antre test document"
    return pdf


def pdf(padding=0):
    """A one-page PDF; ``padding`` random bytes ride along as an image drawn on the page (random: each file
    differs, and a page's image is kept when the file is sanitised, as a scan's is)."""
    doc = _blank()
    if padding:
        width = 256
        height = max(1, -(-padding // (width * 3)))
        data = zlib.compress(os.urandom(width * height * 3), 1)
        image = pikepdf.Stream(doc, data)
        image.update({"/Type": pikepdf.Name.XObject, "/Subtype": pikepdf.Name.Image, "/Width": width,
                      "/Height": height, "/ColorSpace": pikepdf.Name.DeviceRGB, "/BitsPerComponent": 8,
                      "/Filter": pikepdf.Name.FlateDecode})  # fmt: skip
        page = doc.pages[0]
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.obj.Contents = doc.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    return _save(doc)


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


# -- attack files (issue 17, "uploads made harmless") ------------------------------------------------------


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def pixel_bomb(width=7000, height=7000):
    """A ~190 KB PNG that decodes to ``width`` × ``height`` RGBA (196 MB for 7000²), written row by row so
    making it costs no such memory here."""
    squash = zlib.compressobj(9)
    row = b"\0" * (1 + width * 4)  # filter byte, then transparent black
    idat = b"".join(squash.compress(row) for _ in range(height)) + squash.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def pdf_open_action_javascript():
    """A PDF that runs JavaScript when opened (/OpenAction), from its name tree and on a page's open (/AA)."""
    doc = _blank()
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(SCRIPT))
    doc.Root.OpenAction = doc.make_indirect(script)
    doc.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("init"), doc.make_indirect(script)]))
    )
    doc.pages[0].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(SCRIPT)))
    return _save(doc, compress_streams=False)


def pdf_embedded_file_and_launch():
    """A PDF with an embedded file (name tree and a file-attachment annotation) and a link that launches it."""
    doc = _blank()
    doc.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(doc, PAYLOAD, mime_type="application/octet-stream")
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("invoice.exe"), NewWindow=True)
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 595, 842], A=launch)
    spec = pikepdf.AttachedFileSpec(doc, PAYLOAD, filename="readme.exe").obj
    attached = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 10, 10], FS=spec
    )
    visit = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example/"))
    uri = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 5, 5], A=visit)
    doc.pages[0].obj.Annots = doc.make_indirect(pikepdf.Array([link, attached, uri]))
    return _save(doc, compress_streams=False)


def pdf_html_polyglot():
    """A PDF that is also an HTML page: a browser that sniffs it runs the script."""
    content = pdf()
    header, rest = content.split(b"\n", 1)
    return (
        header + b"\n%<html><body>" + HTML_SCRIPT + b"</body></html>\n" + rest + b"<html>" + HTML_SCRIPT + b"\n%%EOF\n"
    )


def html_pdf_polyglot():
    """HTML first, a PDF after it (readers look for %PDF- in the first KiB)."""
    return b"<html><!--\n" + pdf() + b"-->" + HTML_SCRIPT + b"</html>\n"


def png_with_zip():
    """A PNG with a ZIP archive appended (both valid: image viewers stop at IEND, unzip reads from the end)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(ZIP_NAME, b'<% Runtime.getRuntime().exec(request.getParameter("c")); %>')
    return png() + archive.getvalue()


def jpeg_with_gps(orientation=6):
    """A 64×48 photo whose EXIF says where it was taken (GPS) and that it is to be turned (``orientation``)."""
    img = Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()
