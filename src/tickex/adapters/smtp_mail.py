"""``SmtpMailer``: email through any SMTP server (stdlib ``smtplib``).

- Security is explicit: ``starttls`` (the default; the server must offer STARTTLS, or
  nothing is sent), ``tls`` (implicit TLS, port 465), or ``plain`` (no encryption: for a
  local test server only; the settings allow it on loopback outside production).
  Certificates are verified against the system's trust store, or against ``ca_file``.
- One connection per email: connect, (STARTTLS), (AUTH), send, QUIT. Nothing is shared
  between calls but immutable configuration and the SSL context, so ``send`` is
  thread-safe. Every socket operation has ``timeout``.
- The Message-ID is derived from the idempotency key (``tickex.adapters.mime``): SMTP has
  no idempotency, but a retry carries the same Message-ID, so a receiver can de-duplicate.
- Errors become ``DeliveryError``: connection refused, timeouts, dropped connections and
  4xx replies are retryable; 5xx replies (a refused recipient or sender, a rejected
  message) and refused credentials are not. Messages name the server and its reply, never
  the password.
"""

from __future__ import annotations

import base64
import contextlib
import smtplib
import ssl
import uuid
from email.message import EmailMessage as MimeMessage
from email.utils import parseaddr
from typing import Literal

from tickex.adapters.mime import message_id_for, render_mime, sender_domain
from tickex.ports.clock import Clock
from tickex.ports.mail import DeliveryError, EmailMessage, Mailer

SmtpSecurity = Literal["starttls", "tls", "plain"]
DEFAULT_SENDER = "TickEx <no-reply@tickex.localhost>"
_REPLY_CHARS = 200


class SmtpMailer(Mailer):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Clock,
        security: SmtpSecurity = "starttls",
        username: str | None = None,
        password: str | None = None,
        sender: str = DEFAULT_SENDER,
        timeout: float = 10.0,
        ca_file: str | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if security not in ("starttls", "tls", "plain"):
            raise ValueError(f"unknown SMTP security {security!r}")
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        if not 0 < timeout <= 300:
            raise ValueError("timeout must be between 0 and 300 seconds")
        self.host = host
        self.port = port
        self.security: SmtpSecurity = security
        self.username = username
        self._password = password
        self.sender = sender
        self.clock = clock
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._envelope_from = parseaddr(sender)[1] or sender
        self._domain = sender_domain(sender)
        self._tls = None if security == "plain" else ssl.create_default_context(cafile=ca_file)

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host!r}, {self.port}, security={self.security!r})"

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> str:
        key = message.idempotency_key or uuid.uuid4().hex
        message_id = message_id_for(key, self._domain)
        try:
            mime = render_mime(
                message, sender=self.sender, message_id=message_id, date=self.clock.now(),
                text_encoding="quoted-printable",  # 7-bit safe through any relay
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise DeliveryError(f"the email cannot be written: {exc}", retryable=False) from None
        try:
            self._deliver(mime, message.to)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"the SMTP server {self.server} refused the credentials of user "
                f"{self.username!r}: {_reply(exc.smtp_code, exc.smtp_error)}",
                retryable=False,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise DeliveryError(
                f"the SMTP server {self.server} refused the recipient: {_reply(code, reply)}",
                retryable=not 500 <= code < 600,
            ) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, greeting
            what = (
                "sender" if isinstance(exc, smtplib.SMTPSenderRefused)
                else "connection" if isinstance(exc, smtplib.SMTPConnectError)
                else "email"
            )  # fmt: skip
            raise DeliveryError(
                f"the SMTP server {self.server} refused the {what}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}",
                retryable=not 500 <= exc.smtp_code < 600,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(
                f"the SMTP server {self.server} closed the connection: {exc}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            raise DeliveryError(
                f"the SMTP server {self.server} cannot take this email: {exc}", retryable=False
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"the certificate of the SMTP server {self.server} is not trusted "
                f"({exc.verify_message}); set TICKEX_SMTP_CA_FILE for a private CA",
                retryable=False,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out, TLS
            raise DeliveryError(
                f"the SMTP server {self.server} could not be reached: {type(exc).__name__}: {exc}"
            ) from None
        return message_id

    def _deliver(self, mime: MimeMessage, to: str) -> None:
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.local_hostname,
                                    timeout=self.timeout, context=self._tls)  # fmt: skip
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname,
                                timeout=self.timeout)  # fmt: skip
        try:
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"the SMTP server {self.server} does not offer STARTTLS: nothing was "
                        "sent in the clear (use smtps:// for implicit TLS)",
                        retryable=False,
                    )
                smtp.starttls(context=self._tls)
                smtp.ehlo()
            if self.username is not None:
                self._login(smtp)
            smtp.send_message(mime, from_addr=self._envelope_from, to_addrs=[to])
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()  # the server took the email: a failed goodbye changes nothing
        finally:
            smtp.close()

    def _login(self, smtp: smtplib.SMTP) -> None:
        assert self.username is not None
        assert self._password is not None
        try:
            if (self.username + self._password).isascii():
                smtp.login(self.username, self._password)  # CRAM-MD5, PLAIN or LOGIN
            else:
                self._login_plain_utf8(smtp, self.username, self._password)
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"the SMTP server {self.server} does not offer AUTH (credentials are set)",
                retryable=False,
            ) from None
        except smtplib.SMTPResponseException:
            raise  # refused credentials (535) and other replies: mapped by ``send``
        except smtplib.SMTPException as exc:  # no mechanism in common
            raise DeliveryError(
                f"the SMTP server {self.server} cannot authenticate us: {exc}", retryable=False
            ) from None

    def _login_plain_utf8(self, smtp: smtplib.SMTP, username: str, password: str) -> None:
        """AUTH PLAIN with UTF-8 credentials (RFC 4616); ``smtplib.login`` takes ASCII only."""
        smtp.ehlo_or_helo_if_needed()
        if not smtp.has_extn("auth"):
            raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
        if "PLAIN" not in smtp.esmtp_features["auth"].upper().split():
            raise DeliveryError(
                f"the SMTP server {self.server} does not offer AUTH PLAIN, which a non-ASCII "
                "user name or password needs",
                retryable=False,
            )
        token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
        code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split())[:_REPLY_CHARS]
    return f"{code} {text}".strip()
