"""QrCodeRenderer: draws the QR code a ticket email carries, for staff to scan at the door.

What a renderer draws (``QrcodePngRenderer``'s defaults), so that one code scans from a
phone's screen and from paper:

- The data as one byte-mode segment (UTF-8), nothing added: the scanner reads back exactly
  the string it was given (a ticket's signed token, ``POST /v1/scan``). Keep it ASCII --
  readers guess the charset of byte mode (no ECI is written).
- Error correction level **M** (about 15 % of the symbol may be lost): the signed token
  (171 characters) fits in a version 9 symbol of 53 x 53 modules, where level Q would need
  version 11 (61 x 61). Fewer, larger modules matter more to a phone camera facing a
  screen's glare or a cheap print than the extra redundancy; a creased or smudged paper
  ticket still has level M's reserve.
- **8 pixels per module**, black on white, and a quiet zone of **4 modules** on every side
  (what ISO/IEC 18004 requires): 488 x 488 pixels for the ticket token. An email shows it
  at half that size (4 CSS pixels a module: 6.5 cm wide, 1 mm a module, on paper), so a
  high-density (2x) screen or a 190 dpi print still gets one image pixel per dot: sharp
  edges, no blur from upscaling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final

ERROR_CORRECTION: Final = "M"
PIXELS_PER_MODULE: Final = 8
QUIET_ZONE_MODULES: Final = 4
# bytes that the largest symbol (version 40) holds in byte mode, per error-correction level
BYTE_CAPACITY: Final = {"L": 2953, "M": 2331, "Q": 1663, "H": 1273}


class QrCodeTooLong(ValueError):
    """The data does not fit in any QR code at the renderer's error-correction level."""

    def __init__(self, size: int, level: str = ERROR_CORRECTION) -> None:
        limit = BYTE_CAPACITY[level]
        super().__init__(
            f"{size} bytes do not fit in a QR code: the largest one (version 40) holds "
            f"{limit} bytes at error correction {level}"
        )
        self.size = size
        self.limit = limit


class QrCodeRenderer(ABC):
    @abstractmethod
    def png(self, data: str) -> bytes:
        """A PNG image of the QR code of ``data`` (drawn as the module docstring says).
        Deterministic: the same data gives the same bytes. Raises ``QrCodeTooLong``."""
