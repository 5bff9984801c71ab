"""QR images of reservation codes (what the officer's scanner reads at check-in): scheduling serves them
(``render_qr``), notification attaches one to the confirmation mail, from the code the event carries (no
RPC per mail). One place, so both draw the same image."""

import io

import qrcode
import qrcode.image.svg

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def render(reservation_code, image_format="png"):
    """``(content_type, bytes)``; error correction M survives a scratched phone screen or a crumpled print."""
    if image_format not in FORMATS:
        image_format = "png"
    factory = qrcode.image.svg.SvgPathImage if image_format == "svg" else None
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(reservation_code)
    code.make(fit=True)
    image = code.make_image(image_factory=factory) if factory else code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return FORMATS[image_format], buffer.getvalue()
