"""What an uploaded file is, judged by its bytes alone (never its name or declared type), and the harmless
form of it that is stored and served.

libmagic names the type from the first 64 KiB; then the file is rebuilt from what its parser understood:
an image is decoded (after its pixels' memory is checked from the header, before decoding) and encoded
again by Pillow, with no metadata (EXIF, GPS, text chunks, ICC) and nothing after the image (an appended
ZIP); a PDF is read by qpdf (pikepdf) and written again without JavaScript, automatic actions, embedded
files, launch, URI or form-submit actions, and without whatever was not an object of the document
(comments, trailing HTML). Both are deterministic: the same upload gives the same bytes.

This runs in a sandbox process with a memory limit (sandbox.py), never in the service itself.
"""

import io
import logging
from dataclasses import dataclass

import magic
import pikepdf
from PIL import Image, ImageOps, JpegImagePlugin

from documents.exceptions import DocumentUnreadable, EmptyFile, ImageTooLarge, UnsupportedFileType

ACCEPTED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Bytes per pixel of each band in Pillow's modes that PNG and JPEG decode to (the rest are 1).
WIDE_MODES = {"I": 4, "F": 4, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}

# PDF action types that run code, leave the document, or send data: such an action is removed wherever it
# hangs (/A, /Next, /OpenAction, /AA). /GoTo (a page of this document) and /Named (next page…) stay.
UNSAFE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/URI",
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/RichMediaExecute",
    "/Rendition",
    "/Sound",
    "/Movie",
    "/Hide",
    "/SetOCGState",
    "/GoTo3DView",
}
# Keys removed from every dictionary: triggers (additional actions), scripts, embedded files, XFA forms.
UNSAFE_KEYS = ("/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/RichMediaContent", "/XFA")
# Annotations that carry a file, media or 3D content: removed from their page.
UNSAFE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}

# Pillow's own bomb check counts pixels only and would call a huge image "unreadable"; decoded_bytes
# (bands and depth too) decides instead, answering IMAGE_TOO_LARGE.
Image.MAX_IMAGE_PIXELS = None
logging.getLogger("pikepdf").setLevel(logging.ERROR)  # repairs of small defects: nothing useful per upload


@dataclass(frozen=True)
class Limits:
    """``max_decoded_bytes``: an image's pixels in memory (width × height × bands × bytes per band)."""

    max_decoded_bytes: int


@dataclass(frozen=True)
class Clean:
    content_type: str
    content: bytes


def sanitise(content, limits):
    """The harmless form of ``content`` (bytes), or one of the upload errors."""
    if not content:
        raise EmptyFile("the file is empty")
    content_type = magic.from_buffer(content[:65536], mime=True)
    if content_type not in ACCEPTED:
        raise UnsupportedFileType("only PDF, JPEG and PNG files are accepted", detected=content_type)
    try:
        if content_type == "application/pdf":
            return Clean(content_type, _pdf(content))
        return Clean(content_type, _image(content, FORMATS[content_type], limits))
    except (DocumentUnreadable, ImageTooLarge, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; all mean "cannot be read"
        raise DocumentUnreadable("the file cannot be read", reason=type(exc).__name__) from None


# -- images -----------------------------------------------------------------------------------------------


def decoded_bytes(image):
    """What decoding ``image`` (opened, not loaded) will hold in memory, from its header alone."""
    return image.width * image.height * len(image.getbands()) * WIDE_MODES.get(image.mode, 1)


def _image(content, fmt, limits):
    with Image.open(io.BytesIO(content), formats=[fmt]) as image:
        need = decoded_bytes(image)
        if need > limits.max_decoded_bytes:  # before a single pixel is decoded
            raise ImageTooLarge(
                "the image is too large to open",
                width=image.width,
                height=image.height,
                max_megapixels=round(limits.max_decoded_bytes / len(image.getbands()) / 1e6, 1),
            )
        image.load()  # every pixel: a truncated image fails here, not at the officer's desk
        options = {"exif": b""}
        if fmt == "JPEG":
            # The original's quantisation tables and subsampling: re-encoding loses as little as it can.
            options["qtables"] = image.quantization
            sampling = JpegImagePlugin.get_sampling(image)
            if sampling != -1:
                options["subsampling"] = sampling
        # Turned as the camera meant (EXIF orientation), since the EXIF goes; in place, no copy.
        ImageOps.exif_transpose(image, in_place=True)
        transparency = image.info.get("transparency")
        image.info = {} if transparency is None else {"transparency": transparency}  # no text, ICC, EXIF
        out = io.BytesIO()
        image.save(out, format=fmt, **options)
    return out.getvalue()


# -- PDFs -------------------------------------------------------------------------------------------------


def _pdf(content):
    # qpdf repairs small defects, but a file cut short has lost its end: refuse it.
    if b"%%EOF" not in content[-1024:]:
        raise DocumentUnreadable("the PDF is incomplete", reason="no end-of-file marker")
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        raise DocumentUnreadable("the PDF is password-protected", reason="encrypted") from None
    with pdf:
        if pdf.is_encrypted:
            raise DocumentUnreadable("the PDF is password-protected", reason="encrypted")
        if len(pdf.pages) < 1:
            raise DocumentUnreadable("the PDF has no pages", reason="no pages")
        _disarm(pdf)
        out = io.BytesIO()
        # Only objects reachable from the trailer are written (an embedded file cut loose is gone), streams
        # that were not compressed are (no text of a polyglot stays readable), compressed ones are copied
        # as they are (never inflated here: no stream bomb), and the /ID is made from the content, so the
        # same upload gives the same bytes.
        pdf.save(
            out,
            deterministic_id=True,
            compress_streams=True,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        )
    return out.getvalue()


def _disarm(pdf):
    root = pdf.Root
    for key in ("/OpenAction", "/AA"):
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names:
                del names[key]
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            kept = [
                a for a in annots if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") in UNSAFE_ANNOTATIONS)
            ]
            if len(kept) != len(annots):
                page.obj.Annots = pikepdf.Array(kept)
    for obj in pdf.objects:
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            _clean_dict(obj)


def _clean_dict(obj, depth=0):
    """Removes unsafe keys and actions from a dictionary and the direct objects inside it (indirect ones
    are cleaned on their own turn in ``pdf.objects``)."""
    if depth > 32:  # direct objects nested this deep are not a real document
        raise DocumentUnreadable("the PDF is too deeply nested", reason="nesting")
    for key in UNSAFE_KEYS:
        if key in obj:
            del obj[key]
    for key in ("/A", "/Next", "/OpenAction"):
        if key in obj and _unsafe_action(obj[key]):
            del obj[key]
    if obj.get("/S") in UNSAFE_ACTIONS:  # an action object itself: keep the dictionary, drop what it does
        for key in list(obj.keys()):
            if key != "/Type":
                del obj[key]
        obj.S = pikepdf.Name.Named
        obj.N = pikepdf.Name.NextPage  # harmless, and still a valid action wherever it is referenced
    for key in list(obj.keys()):
        _clean_child(obj.get(key), depth)


def _clean_child(value, depth):
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return
    if isinstance(value, pikepdf.Dictionary):
        _clean_dict(value, depth + 1)
    elif isinstance(value, pikepdf.Array):
        for item in value:
            _clean_child(item, depth + 1)


def _unsafe_action(action):
    if isinstance(action, pikepdf.Array):  # /Next may be an array of actions
        return any(_unsafe_action(a) for a in action)
    return isinstance(action, pikepdf.Dictionary) and action.get("/S") in UNSAFE_ACTIONS
