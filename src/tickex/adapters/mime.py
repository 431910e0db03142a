"""One RFC 5322 rendering of an ``EmailMessage``, shared by the mailers that write MIME
(``FileMailer``, ``SmtpMailer``), and the Message-ID derived from an idempotency key.

The Message-ID is a digest of the key, so every retry of one outbox message carries the
same Message-ID and a receiver can recognise a duplicate.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.policy import default as email_policy
from email.utils import format_datetime, parseaddr
from typing import Literal

from tickex.ports.mail import Attachment, EmailMessage

DEFAULT_DOMAIN = "tickex.localhost"

TextEncoding = Literal["8bit", "quoted-printable", "base64"]


def key_digest(key: str) -> str:
    """24 hex characters of SHA-256 of the idempotency key: stable, safe in names."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def sender_domain(sender: str) -> str:
    """The domain of the sender's address (``TickEx <no-reply@shop.example>``), lower-case;
    ``tickex.localhost`` when there is none."""
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2].strip().lower()
    return domain if domain and all(c.isalnum() or c in ".-" for c in domain) else DEFAULT_DOMAIN


def message_id_for(key: str, domain: str = DEFAULT_DOMAIN) -> str:
    return f"<{key_digest(key)}@{domain}>"


def render_mime(
    message: EmailMessage,
    *,
    sender: str,
    message_id: str,
    date: datetime,
    text_encoding: TextEncoding = "8bit",
) -> MimeMessage:
    """The message as MIME: text (and HTML as an alternative) plus attachments; those with
    a ``content_id`` go beside the HTML in a ``multipart/related`` part, shown inline.

    ``8bit`` keeps the text readable in a file; a transport that may meet relays without
    8BITMIME uses ``quoted-printable``. Raises ``ValueError`` for a header that cannot be
    written (a line break in a value, a second ``To``).
    """
    mime = MimeMessage(policy=email_policy)  # LF line ends; smtplib sends CRLF
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(date)
    mime["Message-ID"] = message_id
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text, cte=text_encoding)
    inline = [a for a in message.attachments if a.content_id] if message.html else []
    if message.html is not None:
        mime.add_alternative(message.html, subtype="html", cte=text_encoding)
        if inline:  # multipart/related: the HTML and the images it shows by cid:
            *_, html = mime.iter_parts()  # the part just added
            for attachment in inline:
                maintype, subtype = _content_type(attachment)
                html.add_related(
                    attachment.data, maintype=maintype, subtype=subtype,
                    cid=f"<{_content_id(attachment.content_id)}>", disposition="inline",
                    filename=attachment.filename,
                )  # fmt: skip
            html.set_param("type", "text/html")  # RFC 2387: the root part's type
    for attachment in message.attachments:
        if attachment.content_id and inline:
            continue  # shown inline above (and still saved by its file name)
        maintype, subtype = _content_type(attachment)
        mime.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename,
        )  # fmt: skip
    return mime


def _content_type(attachment: Attachment) -> tuple[str, str]:
    maintype, _, subtype = attachment.content_type.partition("/")
    return maintype, subtype or "octet-stream"


def _content_id(value: str) -> str:
    if not (len(value) < 128 and value.isascii() and value.isprintable()) or any(
        c in value for c in " <>"
    ):
        raise ValueError(f"not a usable Content-ID: {value!r}")
    return value
