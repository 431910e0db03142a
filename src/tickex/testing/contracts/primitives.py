"""Contracts of the small ports: the clock, the ticket signer, the QR code renderer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickex.ports.clock import Clock
from tickex.ports.qr import BYTE_CAPACITY, QUIET_ZONE_MODULES, QrCodeRenderer, QrCodeTooLong
from tickex.ports.signer import TicketClaims, TicketSigner
from tickex.testing.qr_reader import decode_qr, grey_pixels


class ClockContract:
    @pytest.fixture
    def clock(self) -> Clock:
        raise NotImplementedError

    def test_now_is_aware_utc(self, clock: Clock) -> None:
        now = clock.now()
        assert now.utcoffset() == timedelta(0)


class TicketSignerContract:
    @pytest.fixture
    def signer(self) -> TicketSigner:
        raise NotImplementedError

    def test_a_signed_token_verifies_to_its_claims(self, signer: TicketSigner) -> None:
        claims = TicketClaims("evt-1", "secret-1")
        assert signer.verify(signer.sign(claims)) == claims

    def test_tampered_and_garbage_tokens_are_rejected_without_raising(
        self, signer: TicketSigner
    ) -> None:
        token = signer.sign(TicketClaims("evt-1", "secret-1"))
        sig = token.split(".")[1]
        other = signer.sign(TicketClaims("evt-2", "secret-1")).split(".")[0]
        for bad in (f"{other}.{sig}", token[:-2], "", "....", "a.b", "x" * 5000, "é.é"):
            assert signer.verify(bad) is None
        assert signer.public_key()


class QrCodeRendererContract:
    """What the ticket email relies on: a PNG that a scanner reads back as exactly the
    token, a light quiet zone of at least 4 modules, the same bytes for the same data, and
    ``QrCodeTooLong`` (not a broken image) for data no QR code holds. The codes are read
    with zxing-cpp where it is installed (``pip install zxing-cpp``)."""

    TOKEN = (  # the length of a production ticket token: 171 characters
        "djF8ZjhiODQ1NmNiODU4NDM4NmI3MjQ5ZTkxY2M3MDNkODl8YnpxUDQ2NkNWZks0Y3Q0Q3JXblNxZEVvdC1n."
        "sQrWRXH5PK9pZDaCvMA1dbY_8DHA4A6s6EVHKLqDkHp03SzpIoRlNACrUarzs2gsKBPXscu3G_n9eZkNisZ9AQ"
    )

    @pytest.fixture
    def renderer(self) -> QrCodeRenderer:
        raise NotImplementedError

    def test_a_png_a_scanner_reads_back_as_the_token(self, renderer: QrCodeRenderer) -> None:
        image = renderer.png(self.TOKEN)
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        pytest.importorskip("zxingcpp", reason="reading the code back needs zxing-cpp")
        assert decode_qr(image) == [self.TOKEN]

    def test_the_code_sits_in_a_light_quiet_zone(self, renderer: QrCodeRenderer) -> None:
        width, height, pixels = grey_pixels(renderer.png(self.TOKEN))
        dark = [(x, y) for y in range(height) for x in range(width) if pixels[y * width + x] < 128]
        left, top = min(x for x, _ in dark), min(y for _, y in dark)
        right, bottom = max(x for x, _ in dark), max(y for _, y in dark)
        run = 0  # the top-left finder pattern's top edge: 7 dark modules in a row
        while pixels[top * width + left + run] < 128:
            run += 1
        quiet_zone = QUIET_ZONE_MODULES * run / 7
        assert width == height
        assert min(left, top, width - 1 - right, height - 1 - bottom) >= quiet_zone

    def test_the_same_data_draws_the_same_image(self, renderer: QrCodeRenderer) -> None:
        assert renderer.png(self.TOKEN) == renderer.png(self.TOKEN)

    def test_data_no_qr_code_holds_is_refused_clearly(self, renderer: QrCodeRenderer) -> None:
        with pytest.raises(QrCodeTooLong, match="do not fit in a QR code"):
            renderer.png("x" * (BYTE_CAPACITY["L"] + 1))  # more than any level holds
