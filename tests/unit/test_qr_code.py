"""``QrcodePngRenderer``: the PNG a ticket email carries, read back by a real decoder
(zxing-cpp) from its pixels, for tokens as the production signer and secrets make them."""

from __future__ import annotations

import pytest

from tickex.adapters.ed25519_signer import Ed25519TicketSigner
from tickex.adapters.qr_code import QrcodePngRenderer
from tickex.adapters.system import SystemSecretGenerator, UuidIdGenerator
from tickex.ports.qr import BYTE_CAPACITY, QrCodeTooLong
from tickex.ports.signer import TicketClaims
from tickex.testing.qr_reader import decode_qr, grey_pixels, read_qr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOKEN_LENGTH = 171  # v1|<32 hex event id>|<27-character secret>, base64url, "." + signature


def production_token() -> str:
    """A ticket token exactly as production makes it: Ed25519, a UUID event id and a
    ``token_urlsafe(20)`` secret."""
    signer = Ed25519TicketSigner.generate()
    claims = TicketClaims(UuidIdGenerator().new_id(), SystemSecretGenerator().ticket_secret())
    return signer.sign(claims)


@pytest.fixture(scope="module")
def renderer() -> QrcodePngRenderer:
    return QrcodePngRenderer()


def test_the_production_token_has_the_measured_length() -> None:
    assert {len(production_token()) for _ in range(20)} == {TOKEN_LENGTH}


def test_a_png_that_decodes_to_the_signed_token(renderer: QrcodePngRenderer) -> None:
    for _ in range(3):
        token = production_token()
        image = renderer.png(token)
        assert image.startswith(PNG_SIGNATURE)
        assert len(image) < 1500  # a 1-bit image: about 0.8 KB
        (barcode,) = read_qr(image)
        assert barcode.text == token
        assert barcode.ec_level == "M"
        assert barcode.extra["Version"] == "9"  # 53 x 53 modules


def test_the_same_data_draws_the_same_bytes(renderer: QrcodePngRenderer) -> None:
    token = production_token()
    assert renderer.png(token) == renderer.png(token) == QrcodePngRenderer().png(token)


def test_eight_pixels_a_module_inside_a_quiet_zone_of_four(renderer: QrcodePngRenderer) -> None:
    width, height, pixels = grey_pixels(renderer.png(production_token()))
    assert width == height == (53 + 2 * 4) * 8  # 488

    def black(x: int, y: int) -> bool:
        return pixels[y * width + x] == 0

    margin = 4 * 8
    assert not any(black(x, y) for y in range(margin) for x in range(width))  # top
    assert not any(black(x, y) for y in range(height) for x in range(margin))  # left
    assert not any(black(x, y) for y in range(height - margin, height) for x in range(width))
    # the finder pattern's outer ring starts right after the quiet zone, 7 modules wide
    assert all(black(x, margin) for x in range(margin, margin + 7 * 8))
    assert not black(margin + 7 * 8, margin)  # its separator: one light module


def test_it_still_decodes_shown_at_half_and_at_a_quarter_size(
    renderer: QrcodePngRenderer,
) -> None:
    token = production_token()
    image = renderer.png(token)
    assert decode_qr(image, step=2) == [token]  # what the email shows: 4 pixels a module
    assert decode_qr(image, step=4) == [token]  # 2 pixels a module


def test_the_largest_code_holds_its_capacity_and_no_more(renderer: QrcodePngRenderer) -> None:
    capacity = BYTE_CAPACITY["M"]
    assert capacity == 2331
    data = ("tickex-" * 400)[:capacity]
    assert decode_qr(renderer.png(data)) == [data]
    with pytest.raises(QrCodeTooLong, match=r"2332 bytes do not fit in a QR code") as raised:
        renderer.png(data + "x")
    assert (raised.value.size, raised.value.limit) == (2332, 2331)
    assert "error correction M" in str(raised.value)
    with pytest.raises(ValueError, match="do not fit"):  # QrCodeTooLong is a ValueError
        renderer.png("é" * 1200)  # 2400 bytes in UTF-8: bytes count, not characters


def test_level_q_is_available_and_denser() -> None:
    token = production_token()
    (barcode,) = read_qr(QrcodePngRenderer(error_correction="Q").png(token))
    assert (barcode.text, barcode.ec_level, barcode.extra["Version"]) == (token, "Q", "11")


@pytest.mark.parametrize(
    ("option", "value"),
    [("error_correction", "X"), ("pixels_per_module", 0), ("quiet_zone", 3)],
)
def test_settings_that_draw_an_unreadable_code_are_refused(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        QrcodePngRenderer(**{option: value})  # type: ignore[arg-type]
