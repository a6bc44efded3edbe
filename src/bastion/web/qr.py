"""QR codes for TOTP enrolment, rendered as inline SVG (no inline style, so the CSP allows it)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str) -> SafeString:
    """Inline SVG markup of a QR code for ``data``. The markup is generated, never user-supplied."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    markup = image.to_string(encoding="unicode")
    # The class lets the stylesheet size the code per screen (CSS overrides the mm attributes).
    markup = markup.replace("<svg ", '<svg class="qr" role="img" ', 1)
    return mark_safe(markup)  # noqa: S308


def grouped_secret(secret: str) -> str:
    """The base32 secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
