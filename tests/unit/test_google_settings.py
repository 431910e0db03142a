"""Google sign-in settings: on with a client id and secret (and somewhere to come back to),
off with neither; anything in between is reported by name at start-up."""

from __future__ import annotations

import pytest

from tickex.adapters.memory.clock import FixedClock
from tickex.bootstrap import build_oidc
from tickex.settings import Settings, SettingsError

ON = {
    "google_client_id": "tickex-web.apps.googleusercontent.com",
    "google_client_secret": "a-client-secret",
    "google_redirect_uris": "https://shop.example/auth/google, http://127.0.0.1:5173/cb",
}


def test_off_by_default() -> None:
    settings = Settings.load()
    assert not settings.google_sign_in
    assert settings.google_issuer == "https://accounts.google.com"
    assert build_oidc(settings, FixedClock()) is None


def test_on_with_a_client_id_a_secret_and_redirect_uris() -> None:
    settings = Settings.load(**ON)
    assert settings.google_sign_in
    assert settings.google_redirect_uris == (
        "https://shop.example/auth/google",
        "http://127.0.0.1:5173/cb",
    )
    assert "a-client-secret" not in repr(settings)
    assert build_oidc(settings, FixedClock()) is not None


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("google_client_secret", "TICKEX_GOOGLE_CLIENT_SECRET"),
        ("google_client_id", "TICKEX_GOOGLE_CLIENT_ID"),
        ("google_redirect_uris", "TICKEX_GOOGLE_REDIRECT_URIS"),
    ],
)
def test_half_a_configuration_is_an_error_that_names_what_is_missing(
    missing: str, named: str
) -> None:
    config = {name: value for name, value in ON.items() if name != missing}
    with pytest.raises(SettingsError, match=named):
        Settings.load(**config)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("google_redirect_uris", "http://shop.example/cb"),  # http only on loopback
        ("google_redirect_uris", "https://shop.example/cb#fragment"),
        ("google_redirect_uris", "/relative/cb"),
        ("google_issuer", "http://accounts.example"),
        ("google_issuer", "accounts.google.com"),
        ("google_client_secret", "  "),
        ("google_client_id", ""),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"TICKEX_{name.upper()}"):
        Settings.load(**{**ON, name: value})


def test_production_signs_in_with_google_itself() -> None:
    keys = {"signing_key": "A" * 43, "access_token_key": "B" * 43}
    production = {**ON, **keys, "environment": "production"}
    assert Settings.load(**production).google_sign_in
    with pytest.raises(SettingsError, match="TICKEX_GOOGLE_ISSUER must be"):
        Settings.load(**production, google_issuer="https://login.example")
    assert Settings.load(**{**production, "environment": "test"}, google_issuer="https://x.example")
