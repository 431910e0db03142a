"""AES-256-GCM sealed tokens: what was sealed opens, for the same purpose and key only;
anything changed, cut short or made up is ``InvalidToken``."""

from __future__ import annotations

import base64
import re

import pytest

from tickex.adapters.aes_gcm_box import AesGcmSecretBox
from tickex.ports.identity import InvalidToken

SEED = bytes(range(32))
PURPOSE = "google-sign-in"


@pytest.fixture
def box() -> AesGcmSecretBox:
    return AesGcmSecretBox.derived_from(SEED)


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_what_is_sealed_opens_and_is_unreadable_on_the_way(box: AesGcmSecretBox) -> None:
    plaintext = b'{"state": "s3cr3t-state", "verifier": "v"}'
    token = box.seal(plaintext, purpose=PURPOSE)
    assert box.open(token, purpose=PURPOSE) == plaintext
    assert b"s3cr3t" not in base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # base64url, unpadded


def test_every_seal_is_fresh(box: AesGcmSecretBox) -> None:
    tokens = {box.seal(b"same", purpose=PURPOSE) for _ in range(50)}
    assert len(tokens) == 50  # a random nonce each time
    assert {box.open(t, purpose=PURPOSE) for t in tokens} == {b"same"}


@pytest.mark.parametrize("index", [0, 11, 12, 20, -1])  # nonce, ciphertext, tag
def test_a_changed_bit_anywhere_is_refused(box: AesGcmSecretBox, index: int) -> None:
    token = box.seal(b"some pending state", purpose=PURPOSE)
    with pytest.raises(InvalidToken) as caught:
        box.open(_flip(token, index), purpose=PURPOSE)
    assert caught.value.reason == "signature"


def test_another_purpose_does_not_open_it(box: AesGcmSecretBox) -> None:
    token = box.seal(b"x", purpose=PURPOSE)
    for other in ("google-sign-in ", "Google-sign-in", "", "password-reset"):
        with pytest.raises(InvalidToken):
            box.open(token, purpose=other)


def test_another_key_does_not_open_it(box: AesGcmSecretBox) -> None:
    token = box.seal(b"x", purpose=PURPOSE)
    for other in (
        AesGcmSecretBox.generate(),
        AesGcmSecretBox.derived_from(bytes(32)),
        AesGcmSecretBox.derived_from(SEED, info=b"tickex something else v1"),
    ):
        with pytest.raises(InvalidToken):
            other.open(token, purpose=PURPOSE)


@pytest.mark.parametrize(
    "garbage",
    ["", "a", "not base64 at all!", "AAAA", "A" * 37, "é" * 40, "A" * 9000, None, 42],
)
def test_garbage_is_malformed_never_another_error(box: AesGcmSecretBox, garbage: object) -> None:
    with pytest.raises(InvalidToken):
        box.open(garbage, purpose=PURPOSE)  # type: ignore[arg-type]


def test_a_truncated_or_padded_token_is_refused(box: AesGcmSecretBox) -> None:
    token = box.seal(b"a pending sign-in", purpose=PURPOSE)
    for changed in (token[:-1], token[:-4], token[:20], token + "=", token + "A", " " + token):
        with pytest.raises(InvalidToken):
            box.open(changed, purpose=PURPOSE)


def test_the_same_seed_derives_the_same_key_in_every_instance() -> None:
    """What lets several worker processes open each other's tokens."""
    token = AesGcmSecretBox.derived_from(SEED).seal(b"shared", purpose=PURPOSE)
    assert AesGcmSecretBox.derived_from(bytes(SEED)).open(token, purpose=PURPOSE) == b"shared"


def test_keys_and_seeds_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AesGcmSecretBox(bytes(16))
    with pytest.raises(ValueError, match="at least 32"):
        AesGcmSecretBox.derived_from(bytes(16))
