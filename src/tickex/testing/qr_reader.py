"""Reading QR codes back as a scanner would: the PNG decoded with pypng (a core
dependency), the symbol found and decoded from the pixels alone by zxing-cpp, a real
decoder (the C++ port of ZXing; ``pip install zxing-cpp``, in TickEx's dev extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import png

if TYPE_CHECKING:
    import zxingcpp


def grey_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and one byte (0 black .. 255 white) a pixel, row after row."""
    width, height, rows, info = png.Reader(bytes=data).asDirect()
    planes, top = info["planes"], 2 ** info["bitdepth"] - 1
    pixels = bytearray()
    for row in rows:
        pixels.extend(row[x * planes] * 255 // top for x in range(width))
    return width, height, bytes(pixels)


def read_qr(data: bytes, *, step: int = 1) -> list[zxingcpp.Barcode]:
    """Every QR code (``zxingcpp.Barcode``: ``text``, ``ec_level``, ``extra``) in the PNG
    image ``data``; ``step`` > 1 keeps one pixel in ``step`` each way first (the image
    shown smaller, as an email shows it)."""
    import zxingcpp  # imported when a code is read: zxing-cpp is a test dependency

    width, height, pixels = grey_pixels(data)
    if step > 1:
        rows = [pixels[y * width : (y + 1) * width : step] for y in range(0, height, step)]
        width, height, pixels = len(rows[0]), len(rows), b"".join(rows)
    image = memoryview(pixels).cast("B", (height, width))
    formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return list(zxingcpp.read_barcodes(image, formats=formats))


def decode_qr(data: bytes, *, step: int = 1) -> list[str]:
    """The text of every QR code in the PNG image ``data``."""
    return [barcode.text for barcode in read_qr(data, step=step)]
