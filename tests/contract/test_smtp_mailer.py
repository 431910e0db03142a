"""``SmtpMailer`` against a real SMTP server in-process (aiosmtpd on 127.0.0.1): the mailer
contract, the message as a receiver parses it, AUTH, STARTTLS and implicit TLS with a
certificate made for the test, and which failures the worker may retry."""

from __future__ import annotations

import email
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tickex.adapters.memory.clock import FixedClock
from tickex.adapters.smtp_mail import SmtpMailer
from tickex.ports.mail import Attachment, DeliveryError, EmailMessage
from tickex.testing.contracts import MailerContract
from tickex.testing.contracts.mail import Delivered, from_mime

USER, PASSWORD, UTF8_PASSWORD = "tickex", "s3cret-password", "s3cret-Pässwörd"
SENDER = "Nightjar <box@nightjar.example>"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class Inbox:
    """An aiosmtpd handler: keeps what it receives; ``rcpt_reply`` / ``data_reply`` make
    it refuse (``"451 4.3.0 try later"``, ``"550 5.1.1 no such user"``)."""

    def __init__(self) -> None:
        self.received: list[tuple[Envelope, MimeMessage]] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.mail_reply: str | None = None

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, MimeMessage)
        self.received.append((envelope, parsed))
        return "250 OK queued"

    def only(self) -> MimeMessage:
        (entry,) = self.received
        return entry[1]


class _Controller(Controller):
    """aiosmtpd's controller on a port the system picks (port 0)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  auth_data: Any) -> AuthResult:  # fmt: skip
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USER
        and auth_data.password.decode() in (PASSWORD, UTF8_PASSWORD)
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(**aiosmtpd_options) -> (inbox, port)``; every server stops after the test."""
    started: list[Controller] = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox = Inbox()
        controller = _Controller(inbox, hostname="127.0.0.1", port=0, ready_timeout=5,
                                 **options)  # fmt: skip
        controller.start()
        started.append(controller)
        return inbox, controller.port

    yield start
    for controller in started:
        controller.stop()


def plain_mailer(port: int, **options: Any) -> SmtpMailer:
    options = {"security": "plain", "timeout": 5.0, "sender": SENDER, **options}
    return SmtpMailer("127.0.0.1", port, clock=FixedClock(), **options)


class TestSmtpMailer(MailerContract):
    repeated_key = "same-message-id"  # SMTP keeps no keys; the receiver drops the copy

    @pytest.fixture
    def server(self, serve: Any) -> tuple[Inbox, int]:
        inbox, port = serve()
        return inbox, port

    @pytest.fixture
    def mailer(self, server: tuple[Inbox, int]) -> SmtpMailer:
        return plain_mailer(server[1])

    @pytest.fixture
    def delivered(self, server: tuple[Inbox, int]) -> Delivered:
        inbox = server[0]
        return lambda: [from_mime(parsed) for _, parsed in inbox.received]


def test_the_received_email_parses_back_whole(serve: Any) -> None:
    inbox, port = serve()
    pdf = Attachment("ticket.pdf", "application/pdf", b"%PDF-1.7 \x00\xff fake")
    message_id = plain_mailer(port).send(
        EmailMessage(to="ana@example.com", subject="Your tickets ✓ (order Ä5W2)",
                     text="Hello Ana,\nhttps://shop.example/account/verify-email?token=" + "x" * 90,
                     html="<p>Hello Ána</p>", attachments=(pdf,),
                     headers={"Reply-To": "help@nightjar.example"},
                     idempotency_key="deliver:order-1")
    )  # fmt: skip
    (envelope, parsed), *_ = inbox.received
    assert envelope.mail_from == "box@nightjar.example"
    assert envelope.rcpt_tos == ["ana@example.com"]
    assert parsed["To"] == "ana@example.com"
    assert parsed["From"] == SENDER
    assert parsed["Subject"] == "Your tickets ✓ (order Ä5W2)"
    assert parsed["Reply-To"] == "help@nightjar.example"
    assert parsed["Message-ID"] == message_id
    assert message_id.endswith("@nightjar.example>")
    assert parsed["Date"]
    body = parsed.get_body(("plain",))
    assert body is not None
    assert "verify-email?token=" + "x" * 90 in body.get_content()  # the link survives whole
    html = parsed.get_body(("html",))
    assert html is not None
    assert "<p>Hello Ána</p>" in html.get_content()
    (attached,) = list(parsed.iter_attachments())
    assert attached.get_filename() == "ticket.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == pdf.data
    assert max(len(line) for line in envelope.original_content.splitlines()) <= 998
    assert all(byte < 128 for byte in envelope.original_content)  # 7-bit: any relay takes it


def test_the_message_id_is_the_same_for_every_retry_of_one_key(serve: Any) -> None:
    inbox, port = serve()
    mailer = plain_mailer(port)
    message = EmailMessage(to="ana@example.com", subject="Hi", text="x", idempotency_key="k:1")
    first, again = mailer.send(message), mailer.send(message)
    other = mailer.send(EmailMessage(to="ana@example.com", subject="Hi", text="x",
                                     idempotency_key="k:2"))  # fmt: skip
    assert first == again != other
    assert [m["Message-ID"] for _, m in inbox.received] == [first, first, other]  # SMTP resends


@pytest.mark.parametrize(
    ("mechanism", "password"), [("PLAIN", PASSWORD), ("LOGIN", PASSWORD), ("PLAIN", UTF8_PASSWORD)]
)
def test_auth_with_the_right_credentials_sends(serve: Any, mechanism: str, password: str) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    inbox, port = serve(authenticator=authenticator, auth_required=True, auth_require_tls=False,
                        auth_exclude_mechanism=[other])  # fmt: skip
    plain_mailer(port, username=USER, password=password).send(
        EmailMessage(to="ana@example.com", subject="Hi", text="x")
    )
    assert len(inbox.received) == 1


def test_wrong_credentials_are_not_retried_and_the_password_is_never_said(serve: Any) -> None:
    inbox, port = serve(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    with pytest.raises(DeliveryError) as raised:
        plain_mailer(port, username=USER, password="wrong-" + PASSWORD).send(
            EmailMessage(to="ana@example.com", subject="Hi", text="x")
        )
    assert not raised.value.retryable
    assert "refused the credentials" in str(raised.value)
    assert "535" in str(raised.value)
    assert PASSWORD not in str(raised.value)
    assert PASSWORD not in repr(plain_mailer(port, username=USER, password=PASSWORD))
    assert not inbox.received


def test_a_server_that_requires_auth_refuses_without_it_and_that_is_not_retried(
    serve: Any,
) -> None:
    _, port = serve(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    with pytest.raises(DeliveryError) as raised:
        plain_mailer(port).send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert not raised.value.retryable  # 530 5.7.0 Authentication required
    assert "530" in str(raised.value)


@pytest.mark.parametrize(
    ("where", "reply", "retryable"),
    [
        ("rcpt_reply", "451 4.3.0 Try again later", True),
        ("rcpt_reply", "452 4.2.2 Mailbox full", True),
        ("rcpt_reply", "550 5.1.1 No such user here", False),
        ("rcpt_reply", "553 5.1.3 Bad recipient address syntax", False),
        ("mail_reply", "550 5.7.1 Sender rejected", False),
        ("mail_reply", "421 4.7.0 Too many connections, try later", True),
        ("data_reply", "554 5.6.0 Message rejected as spam", False),
        ("data_reply", "451 4.3.0 Local error in processing", True),
    ],
)
def test_replies_decide_whether_the_worker_retries(
    serve: Any, where: str, reply: str, retryable: bool
) -> None:
    inbox, port = serve()
    setattr(inbox, where, reply)
    with pytest.raises(DeliveryError) as raised:
        plain_mailer(port).send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert raised.value.retryable is retryable
    assert reply.split()[0] in str(raised.value)
    assert f"127.0.0.1:{port}" in str(raised.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_closed_port_is_retryable() -> None:
    with pytest.raises(DeliveryError) as raised:
        plain_mailer(free_port()).send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert raised.value.retryable
    assert "could not be reached" in str(raised.value)


def test_a_server_that_never_answers_times_out_and_is_retryable() -> None:
    with socket.socket() as silent:  # the kernel accepts; nobody ever greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        started = time.monotonic()
        with pytest.raises(DeliveryError) as raised:
            plain_mailer(silent.getsockname()[1], timeout=0.5).send(
                EmailMessage(to="ana@example.com", subject="Hi", text="x")
            )
        assert time.monotonic() - started < 5
    assert raised.value.retryable


def test_starttls_is_required_by_default_and_nothing_goes_in_the_clear(serve: Any) -> None:
    inbox, port = serve()  # no STARTTLS offered
    with pytest.raises(DeliveryError) as raised:
        SmtpMailer("127.0.0.1", port, clock=FixedClock(), timeout=5).send(
            EmailMessage(to="ana@example.com", subject="Hi", text="x")
        )
    assert not raised.value.retryable
    assert "STARTTLS" in str(raised.value)
    assert not inbox.received


# -- TLS with a certificate made for the test -------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tickex test SMTP")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def test_starttls_with_auth_against_a_trusted_certificate(
    serve: Any, certificate: tuple[Path, Path]
) -> None:
    inbox, port = serve(tls_context=server_context(certificate), require_starttls=True,
                        authenticator=authenticator, auth_required=True)  # fmt: skip
    mailer = SmtpMailer("127.0.0.1", port, clock=FixedClock(), username=USER, password=PASSWORD,
                        ca_file=str(certificate[0]), timeout=5)  # fmt: skip
    mailer.send(EmailMessage(to="ana@example.com", subject="Über TLS ✓", text="x"))
    assert inbox.only()["Subject"] == "Über TLS ✓"


def test_an_untrusted_certificate_is_refused_before_anything_is_sent(
    serve: Any, certificate: tuple[Path, Path]
) -> None:
    inbox, port = serve(tls_context=server_context(certificate), require_starttls=True,
                        authenticator=authenticator, auth_required=True)  # fmt: skip
    mailer = SmtpMailer(
        "127.0.0.1", port, clock=FixedClock(), username=USER, password=PASSWORD, timeout=5
    )  # the system's trust store does not know the test's CA
    with pytest.raises(DeliveryError) as raised:
        mailer.send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert not raised.value.retryable
    assert "not trusted" in str(raised.value)
    assert not inbox.received


def test_implicit_tls(serve: Any, certificate: tuple[Path, Path]) -> None:
    inbox, port = serve(ssl_context=server_context(certificate))
    mailer = SmtpMailer("127.0.0.1", port, clock=FixedClock(), security="tls",
                        ca_file=str(certificate[0]), timeout=5)  # fmt: skip
    mailer.send(EmailMessage(to="ana@example.com", subject="Hi", text="x"))
    assert len(inbox.received) == 1


def test_concurrent_sends_share_nothing(serve: Any) -> None:
    inbox, port = serve()
    mailer = plain_mailer(port)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            mailer.send(EmailMessage(to=f"buyer{n}@example.com", subject=f"#{n}", text="x",
                                     idempotency_key=f"k:{n}"))  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors
    assert sorted(m["Subject"] for _, m in inbox.received) == sorted(f"#{n}" for n in range(8))


# -- the worker with this mailer --------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "outcome"),
    [(None, (1, 0, 0)), ("451 4.3.0 Try again later", (0, 1, 0)),
     ("550 5.1.1 No such user here", (0, 0, 1))],
)  # fmt: skip
def test_the_worker_sends_retries_or_gives_up_by_the_servers_reply(
    serve: Any, reply: str | None, outcome: tuple[int, int, int]
) -> None:
    from tickex.application.identity.register_user import RegisterUser
    from tickex.facade import TickEx

    inbox, port = serve()
    inbox.rcpt_reply = reply
    app = TickEx.in_memory(mailer=plain_mailer(port))
    app.register_user(RegisterUser(email="ana@example.com", password="correct horse 42",
                                   name="Ana"))  # fmt: skip
    run = app.process_outbox()
    assert (run.sent, run.retried, run.dead) == outcome
    if reply is None:
        body = inbox.only().get_body(("plain",))
        assert body is not None
        assert "verify-email?token=" in body.get_content()
