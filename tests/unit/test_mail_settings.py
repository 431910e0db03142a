"""Mail transport settings: ``TICKEX_MAILER=smtp|resend`` need their URL or key, the SMTP URL
says how the connection is secured, and every problem is reported by name at start-up
without repeating a password or a key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tickex.adapters.file_mail import FileMailer
from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.resend_mail import ResendMailer
from tickex.adapters.smtp_mail import SmtpMailer
from tickex.bootstrap import build_mailer
from tickex.settings import Settings, SettingsError, SmtpEndpoint, parse_smtp_url

SEED = "A" * 43  # base64url of 32 bytes
PRODUCTION = {"environment": "production", "signing_key": SEED, "access_token_key": SEED}


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("smtp://mailer:p%40ss%2Fw0rd@smtp.example.com",
         SmtpEndpoint("starttls", "smtp.example.com", 587, "mailer", "p@ss/w0rd")),
        ("smtp://smtp.example.com:2525", SmtpEndpoint("starttls", "smtp.example.com", 2525)),
        ("smtps://u:p@smtp.example.com", SmtpEndpoint("tls", "smtp.example.com", 465, "u", "p")),
        ("smtp+insecure://127.0.0.1:1025", SmtpEndpoint("plain", "127.0.0.1", 1025)),
        ("smtp+insecure://localhost", SmtpEndpoint("plain", "localhost", 25)),
    ],
)  # fmt: skip
def test_the_smtp_url_says_host_port_security_and_credentials(
    url: str, endpoint: SmtpEndpoint
) -> None:
    assert parse_smtp_url(url) == endpoint
    assert "p@ss" not in repr(parse_smtp_url(url))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://u:hunter22@smtp.example.com", "expected a URL starting with smtp://"),
        ("u:hunter22@smtp.example.com:587", "expected a URL starting with smtp://"),
        ("smtp+insecure://u:hunter22@mail.example.com", "only to 127.0.0.1"),
        ("smtp://u:hunter22@smtp.example.com:99999", "port"),
        ("smtp://u:hunter22@", "no host"),
        ("smtp://u:hunter22@smtp.example.com/inbox?x=1", "no path"),
        ("smtp://u@smtp.example.com", "both a user and a password"),
    ],
)
def test_a_bad_smtp_url_is_reported_by_name_without_its_password(url: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.load(mailer="smtp", smtp_url=url)
    message = str(raised.value)
    assert "TICKEX_SMTP_URL" in message
    assert says in message
    assert "hunter22" not in message


def test_smtp_needs_its_url_and_resend_its_key() -> None:
    with pytest.raises(SettingsError, match="TICKEX_SMTP_URL is required when TICKEX_MAILER=smtp"):
        Settings.load(mailer="smtp")
    with pytest.raises(SettingsError, match="TICKEX_RESEND_API_KEY is required"):
        Settings.load(mailer="resend")
    with pytest.raises(SettingsError, match="TICKEX_RESEND_API_KEY"):
        Settings.load(mailer="resend", resend_api_key="  ")


def test_the_insecure_scheme_is_refused_in_production() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.load(mailer="smtp", smtp_url="smtp+insecure://127.0.0.1:1025", **PRODUCTION)
    assert "TICKEX_SMTP_URL" in str(raised.value)
    assert "refused in production" in str(raised.value)
    production = Settings.load(mailer="smtp", smtp_url="smtps://u:p@smtp.example.com",
                               **PRODUCTION)  # fmt: skip
    assert production.smtp_endpoint() == SmtpEndpoint("tls", "smtp.example.com", 465, "u", "p")


def test_the_timeout_is_bounded_and_the_ca_file_must_hold_certificates(tmp_path: Path) -> None:
    for seconds in (0, 121):
        with pytest.raises(SettingsError, match="TICKEX_SMTP_TIMEOUT_SECONDS"):
            Settings.load(smtp_timeout_seconds=seconds)
    with pytest.raises(SettingsError, match=r"TICKEX_SMTP_CA_FILE: .*no such file"):
        Settings.load(smtp_ca_file=str(tmp_path / "missing.pem"))
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(SettingsError, match=r"TICKEX_SMTP_CA_FILE: .*PEM"):
        Settings.load(smtp_ca_file=str(tmp_path / "junk.pem"))


@pytest.mark.parametrize("url", ["http://api.resend.com", "ftp://127.0.0.1", "https://x/?a=1"])
def test_the_resend_base_url_is_https_or_loopback(url: str) -> None:
    with pytest.raises(SettingsError, match="TICKEX_RESEND_BASE_URL"):
        Settings.load(resend_base_url=url)


def test_the_composition_root_builds_the_chosen_transport() -> None:
    clock = FixedClock()
    smtp = build_mailer(
        Settings.load(mailer="smtp", smtp_url="smtp://mailer:pw@smtp.example.com",
                      mail_from="Nightjar <box@nightjar.example>", smtp_timeout_seconds=3),
        clock,
    )  # fmt: skip
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "smtp.example.com", 587, "starttls", "mailer",
    )  # fmt: skip
    assert smtp.timeout == 3
    assert smtp.sender == "Nightjar <box@nightjar.example>"
    assert "pw" not in repr(smtp)
    resend = build_mailer(
        Settings.load(mailer="resend", resend_api_key="re_123",
                      resend_base_url="http://127.0.0.1:9/"), clock,
    )  # fmt: skip
    assert isinstance(resend, ResendMailer)
    assert resend.endpoint == "http://127.0.0.1:9/emails"
    settings = Settings.load(mailer="resend", resend_api_key="re_123")
    assert "re_123" not in repr(settings)
    assert isinstance(build_mailer(Settings.load(mailer="file"), clock), FileMailer)


def test_serve_says_where_the_emails_go_without_the_password() -> None:
    from tickex.entrypoints.http.serve import _mail_destination

    smtp = Settings.load(mailer="smtp", smtp_url="smtps://mailer:hunter22@smtp.example.com")
    assert _mail_destination(smtp) == "sent through smtps://mailer:***@smtp.example.com"
    resend = Settings.load(mailer="resend", resend_api_key="re_hunter22")
    assert _mail_destination(resend) == "sent through Resend (https://api.resend.com)"


@pytest.mark.parametrize(
    ("overrides", "warned"),
    [
        ({**PRODUCTION}, True),  # the default (files) in production
        ({**PRODUCTION, "mailer": "memory"}, True),
        ({**PRODUCTION, "mailer": "resend", "resend_api_key": "re_live_123"}, False),
        ({**PRODUCTION, "mailer": "smtp", "smtp_url": "smtps://u:p@smtp.example.com"}, False),
        ({"environment": "development"}, False),  # files are the point of development
    ],
)
def test_production_without_a_delivering_mailer_is_warned_about(
    overrides: dict[str, object], warned: bool
) -> None:
    warning = Settings.load(**overrides).mail_warning()
    assert (warning is not None) == warned
    if warning is not None:
        assert "not delivered" in warning
        assert "TICKEX_MAILER=smtp or resend" in warning
