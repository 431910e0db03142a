"""The mailer contract: what arrives where the adapter delivers, not only what ``send``
returns.

A subclass provides ``mailer`` and ``delivered``: a function that reads back every
message that reached the other side (a folder, an SMTP server, a provider's
API), each as an :class:`EmailMessage` of what a receiver sees. ``from_mime`` turns a
MIME message (an ``.eml`` file, what an SMTP server received) into that form.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy
from email.message import EmailMessage as MimeMessage
from typing import ClassVar, Literal

from tickex.ports.mail import Attachment, EmailMessage, Mailer
from tickex.testing.provided import provided

Delivered = Callable[[], list[EmailMessage]]

#: What sending one idempotency key twice delivers.
RepeatedKey = Literal["once", "same-message-id", "every-time"]


def from_mime(raw: bytes | MimeMessage) -> EmailMessage:
    """A received MIME message as the port's message: the recipient, the subject, the text
    and HTML bodies (line ends as ``\\n``, without the trailing one MIME adds), every
    attachment with its bytes and content id, and the Message-ID among the headers."""
    parsed = raw if isinstance(raw, MimeMessage) else email.message_from_bytes(
        raw, policy=policy.default
    )  # fmt: skip
    assert isinstance(parsed, MimeMessage)

    def body(kind: str) -> str | None:
        part = parsed.get_body((kind,))
        if part is None:
            return None
        content = part.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n").removesuffix("\n")

    files = []
    for part in parsed.walk():
        if part.is_multipart() or part.get_filename() is None:
            continue
        data = part.get_content()
        assert isinstance(data, bytes)
        content_id = str(part.get("Content-ID", "")).strip("<>")
        files.append(Attachment(part.get_filename() or "", part.get_content_type(), data,
                                content_id))  # fmt: skip
    return EmailMessage(
        to=str(parsed["To"]),
        subject=str(parsed["Subject"]),
        text=body("plain") or "",
        html=body("html"),
        attachments=tuple(files),
        headers={"Message-ID": str(parsed["Message-ID"])} if parsed["Message-ID"] else {},
    )


class MailerContract:
    """Provide ``mailer`` and ``delivered`` (see the module). Set ``repeated_key`` to what
    your adapter does with a key it has sent before: ``"once"`` (it or its provider
    remembers keys: nothing arrives again), ``"same-message-id"`` (it arrives again with
    the same Message-ID, by which the receiving side drops the copy: SMTP has no memory of
    keys) or ``"every-time"`` (a recording fake that keeps every call)."""

    repeated_key: ClassVar[RepeatedKey] = "once"

    TEXT = "Hello Ána,\nyour tickets are attached.\nhttps://shop.example/o/A5W2?token=" + "x" * 90
    HTML = '<p>Hello Ána</p><img src="cid:ticket-A5W2-1@tickex" alt="ticket">'
    QR = Attachment("ticket-A5W2-1.png", "image/png", b"\x89PNG\r\n\x1a\n qr \x00\xff",
                    "ticket-A5W2-1@tickex")  # fmt: skip
    PDF = Attachment("terms.pdf", "application/pdf", b"%PDF-1.7 \x00\xff fake")

    mailer = provided("mailer", ": the Mailer under test")
    delivered = provided("delivered", ": what arrived, in order")

    def _message(self, key: str = "deliver:o1", **fields: object) -> EmailMessage:
        values: dict[str, object] = {
            "to": "buyer@example.com", "subject": "Tickets ✓ (order Ä5W2)", "text": self.TEXT,
            "idempotency_key": key, **fields,
        }  # fmt: skip
        return EmailMessage(**values)  # type: ignore[arg-type]

    def test_sending_returns_a_message_id(self, mailer: Mailer) -> None:
        message = EmailMessage(to="buyer@example.com", subject="Tickets ✓", text="Hello",
                               idempotency_key="deliver:o1")  # fmt: skip
        assert mailer.send(message)

    def test_the_message_arrives_with_its_recipient_subject_and_text(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        mailer.send(self._message())
        (arrived,) = delivered()
        assert (arrived.to, arrived.subject, arrived.text) == (
            "buyer@example.com", "Tickets ✓ (order Ä5W2)", self.TEXT
        )  # fmt: skip
        assert arrived.html is None
        assert arrived.attachments == ()

    def test_the_html_and_every_attachment_arrive_byte_for_byte(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        mailer.send(self._message(html=self.HTML, attachments=(self.QR, self.PDF)))
        (arrived,) = delivered()
        assert (arrived.text, arrived.html) == (self.TEXT, self.HTML)
        by_name = {a.filename: a for a in arrived.attachments}
        assert sorted(by_name) == ["terms.pdf", "ticket-A5W2-1.png"]
        qr, pdf = by_name["ticket-A5W2-1.png"], by_name["terms.pdf"]
        assert (qr.content_type, qr.data, qr.content_id) == (
            "image/png", self.QR.data, "ticket-A5W2-1@tickex"
        )  # fmt: skip
        assert (pdf.content_type, pdf.data, pdf.content_id) == (
            "application/pdf",
            self.PDF.data,
            "",
        )

    def test_one_key_sent_twice_is_delivered_once(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        message = self._message("deliver:o7", attachments=(self.PDF,))
        first, again = mailer.send(message), mailer.send(message)
        other = mailer.send(self._message("deliver:o8"))
        arrived = delivered()
        assert first != other
        if self.repeated_key == "once":
            assert first == again
            assert len(arrived) == 2
        elif self.repeated_key == "same-message-id":
            assert first == again
            ids = [m.headers.get("Message-ID") for m in arrived]
            assert ids == [first, first, other]
        else:
            assert len(arrived) == 3
        copies = [m for m in arrived if m.attachments]
        assert all(m == copies[0] for m in copies)
        assert copies[0].attachments[0].data == self.PDF.data
