"""Files are judged by their bytes and stored in a harmless form: the accepted types pass rebuilt, everything
else is refused with its reason, and each attack file of issue 17 is refused or loses its attack."""

import io
import zlib

import pikepdf
import pytest
from PIL import Image

from documents import files, samples
from documents.exceptions import DocumentUnreadable, EmptyFile, ImageTooLarge, UnsupportedFileType

pytestmark = pytest.mark.unit
MB = 1024 * 1024
LIMITS = files.Limits(max_decoded_bytes=80 * MB)


def sanitise(content, limits=LIMITS):
    return files.sanitise(content, limits)


@pytest.mark.parametrize(
    ("make", "content_type"),
    [(samples.pdf, "application/pdf"), (samples.jpeg, "image/jpeg"), (samples.png, "image/png")],
)
def test_each_accepted_type_is_recognised_and_rebuilt_the_same_way_each_time(make, content_type):
    content = make()
    clean = sanitise(content)
    assert clean.content_type == content_type
    assert sanitise(content).content == clean.content  # deterministic: a retried upload is recognised
    assert sanitise(clean.content).content_type == content_type  # what is served is accepted again


def test_a_png_keeps_its_pixels_and_a_pdf_its_pages_and_images():
    content = samples.png()
    assert Image.open(io.BytesIO(sanitise(content).content)).tobytes() == Image.open(io.BytesIO(content)).tobytes()
    scan = samples.pdf(50_000)
    with pikepdf.open(io.BytesIO(sanitise(scan).content)) as pdf, pikepdf.open(io.BytesIO(scan)) as original:
        assert len(pdf.pages) == 1
        [image] = pdf.pages[0].images.values()
        assert image.read_raw_bytes() == next(iter(original.pages[0].images.values())).read_raw_bytes()


@pytest.mark.parametrize(
    "content",
    [samples.windows_executable(), samples.html(), b"just some text\n", b"\x7fELF\x02\x01\x01" + bytes(300)],
    ids=["exe", "html", "text", "elf"],
)
def test_other_content_is_refused_whatever_it_claims_to_be(content):
    with pytest.raises(UnsupportedFileType):
        sanitise(content)


@pytest.mark.parametrize("make", [samples.pdf, samples.jpeg, samples.png])
def test_a_truncated_file_of_an_accepted_type_is_unreadable(make):
    with pytest.raises(DocumentUnreadable):
        sanitise(samples.truncated(make()))


def test_a_png_header_on_garbage_is_unreadable_and_an_empty_file_is_empty():
    with pytest.raises(DocumentUnreadable):
        sanitise(samples.png()[:64] + b"\0" * 4096)
    with pytest.raises(EmptyFile):
        sanitise(b"")


def test_a_password_protected_pdf_is_unreadable():
    with pikepdf.open(io.BytesIO(samples.pdf())) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    with pytest.raises(DocumentUnreadable) as exc:
        sanitise(out.getvalue())
    assert exc.value.params["reason"] == "encrypted"


# -- the attack files --------------------------------------------------------------------------------------


def test_a_pixel_bomb_is_refused_from_its_header_by_the_memory_its_pixels_would_take():
    bomb = samples.pixel_bomb()
    assert len(bomb) < 200_000  # 190 KB on the wire …
    with Image.open(io.BytesIO(bomb)) as image:
        assert files.decoded_bytes(image) == 7000 * 7000 * 4  # … 196 MB once decoded
    with pytest.raises(ImageTooLarge) as exc:
        sanitise(bomb)
    assert exc.value.params == {"width": 7000, "height": 7000, "max_megapixels": 21.0}
    # Bands count, not only dimensions: the same 4000 × 4000 passes as RGB and is refused as RGBA.
    small = files.Limits(max_decoded_bytes=4000 * 4000 * 3)
    assert sanitise(samples.png(4000, 4000), small).content_type == "image/png"
    with pytest.raises(ImageTooLarge):
        sanitise(samples.pixel_bomb(4000, 4000), small)


def test_a_16_bit_image_counts_two_bytes_a_band():
    image = Image.new("I;16", (100, 100))
    out = io.BytesIO()
    image.save(out, format="PNG")
    with Image.open(io.BytesIO(out.getvalue())) as opened:
        assert files.decoded_bytes(opened) == 100 * 100 * 2


def pdf_names(content):
    """Every name and action type in the PDF's objects (decoded), to look for what must be gone."""
    found = set()
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                walk(obj, found)
    return found


def walk(obj, found, depth=0):
    if depth > 20:
        return
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in obj.keys():
            found.add(key)
            walk(obj.get(key), found, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            walk(item, found, depth + 1)
    elif isinstance(obj, pikepdf.Name):
        found.add(str(obj))


def test_a_pdf_with_open_action_javascript_is_stored_without_any_script():
    attack = samples.pdf_open_action_javascript()
    assert samples.SCRIPT in attack and {"/OpenAction", "/JavaScript", "/AA"} <= pdf_names(attack)
    clean = sanitise(attack).content
    assert samples.SCRIPT not in clean
    assert not {"/OpenAction", "/JavaScript", "/JS", "/AA"} & pdf_names(clean)
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert len(pdf.pages) == 1


def test_a_pdf_with_an_embedded_file_and_launch_is_stored_without_them():
    attack = samples.pdf_embedded_file_and_launch()
    assert samples.PAYLOAD in attack
    assert {"/EmbeddedFiles", "/Launch", "/FileAttachment", "/URI"} <= pdf_names(attack)
    clean = sanitise(attack).content
    assert samples.PAYLOAD not in clean
    assert not {"/EmbeddedFiles", "/EmbeddedFile", "/EF", "/Launch", "/FileAttachment", "/URI"} & pdf_names(clean)
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert len(pdf.attachments) == 0
        assert [str(a.Subtype) for a in pdf.pages[0].Annots] == ["/Link", "/Link"]  # dead links, harmless


def test_an_action_hidden_in_a_chain_or_an_array_is_removed():
    doc = pikepdf.open(io.BytesIO(samples.pdf()))
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(samples.SCRIPT))
    goto = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([doc.pages[0].obj, pikepdf.Name.Fit]), Next=[js])
    doc.pages[0].obj.Annots = pikepdf.Array(
        [pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 9, 9], A=goto)]
    )
    doc.Root.Outlines = doc.make_indirect(pikepdf.Dictionary(A=doc.make_indirect(js)))  # an indirect action
    out = io.BytesIO()
    doc.save(out, compress_streams=False)
    clean = sanitise(out.getvalue()).content
    assert samples.SCRIPT not in clean and "/JavaScript" not in pdf_names(clean)
    assert "/GoTo" in pdf_names(clean)  # a link within the document stays


@pytest.mark.parametrize("make", [samples.pdf_html_polyglot, samples.html_pdf_polyglot])
def test_a_pdf_html_polyglot_is_refused_or_stored_as_a_pdf_without_its_html(make):
    attack = make()
    assert samples.HTML_SCRIPT in attack
    try:
        clean = sanitise(attack)
    except UnsupportedFileType:
        return  # refused: libmagic named it HTML
    assert clean.content_type == "application/pdf"
    assert clean.content.startswith(b"%PDF-")
    assert b"<script" not in clean.content.lower() and b"<html" not in clean.content.lower()


def test_a_png_with_a_zip_appended_is_stored_without_it():
    attack = samples.png_with_zip()
    assert b"PK\x03\x04" in attack and samples.ZIP_NAME.encode() in attack
    clean = sanitise(attack).content
    assert b"PK\x03\x04" not in clean and samples.ZIP_NAME.encode() not in clean
    assert clean.endswith(b"IEND\xaeB`\x82")  # nothing after the image
    assert Image.open(io.BytesIO(clean)).tobytes() == Image.open(io.BytesIO(attack)).tobytes()


def test_a_jpeg_with_exif_gps_is_stored_without_metadata_and_turned_upright():
    attack = samples.jpeg_with_gps(orientation=6)
    with Image.open(io.BytesIO(attack)) as original:
        assert original.getexif().get_ifd(0x8825)  # the GPS position is there …
    clean = sanitise(attack)
    assert clean.content_type == "image/jpeg"
    assert b"Exif" not in clean.content and b"PhoneMaker" not in clean.content
    with Image.open(io.BytesIO(clean.content)) as stored:
        assert dict(stored.getexif()) == {}  # … and gone, with every other tag
        assert stored.size == (48, 64)  # turned as the EXIF said, since the EXIF is gone


def test_png_text_and_colour_profile_chunks_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG", pnginfo=info, icc_profile=b"\0" * 200)
    clean = sanitise(out.getvalue()).content
    assert b"tEXt" not in clean and b"iCCP" not in clean and b"<script" not in clean


def test_an_image_past_pillows_own_pixel_limit_gets_the_same_clear_answer():
    # 30000 × 30000 RGB: Pillow's own check would call it unreadable; the header alone decides, so the
    # IDAT here need not even hold the pixels.
    header = samples.png_chunk(b"IHDR", (30000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0]))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + header
        + samples.png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + samples.png_chunk(b"IEND", b"")
    )
    with pytest.raises(ImageTooLarge) as exc:
        sanitise(png)
    assert (exc.value.params["width"], exc.value.params["height"]) == (30000, 30000)
