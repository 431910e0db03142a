"""``QrcodePngRenderer`` passes the QR code renderer contract (read back with zxing-cpp)."""

from __future__ import annotations

import pytest

from tickex.adapters.qr_code import QrcodePngRenderer
from tickex.testing.contracts import QrCodeRendererContract


class TestQrcodePngRenderer(QrCodeRendererContract):
    @pytest.fixture
    def renderer(self) -> QrcodePngRenderer:
        return QrcodePngRenderer()


class TestQrcodePngRendererAtLevelQ(QrCodeRendererContract):
    @pytest.fixture
    def renderer(self) -> QrcodePngRenderer:
        return QrcodePngRenderer(error_correction="Q", pixels_per_module=6)
