"""``FileMailer``: every email becomes an ``.eml`` file in a folder (the embedded default).

What a developer running ``make run`` reads instead of an inbox: open the newest file in
``var/mail/`` with any mail program or a text editor, follow its link. Each file is a
complete RFC 5322 message (UTF-8, attachments included) written atomically (a temporary
file, then a rename), so a reader never sees half of one.

Sending is idempotent by the message's idempotency key, like a provider's API: the same
key again (the worker retrying after a crash) returns the first message id and writes
nothing. The folder is created on first use; it is as sensitive as a mail spool (links in
it sign people in or reset passwords).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import uuid
from email.message import EmailMessage as MimeMessage
from email.policy import default as email_policy
from email.utils import format_datetime
from pathlib import Path

from tickex.ports.clock import Clock
from tickex.ports.mail import DeliveryError, EmailMessage, Mailer

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
DEFAULT_SENDER = "TickEx <no-reply@tickex.localhost>"


class FileMailer(Mailer):
    def __init__(self, directory: str | Path, clock: Clock, sender: str = DEFAULT_SENDER) -> None:
        self.directory = Path(directory)
        self.clock = clock
        self.sender = sender
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> str:
        key = message.idempotency_key or uuid.uuid4().hex
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        message_id = f"<{digest}@tickex.localhost>"
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                if any(self.directory.glob(f"*-{digest}.eml")):
                    return message_id  # sent before under this key
                now = self.clock.now()
                label = _UNSAFE.sub("-", key)[:40].strip("-") or "message"
                name = f"{now:%Y%m%dT%H%M%S%fZ}-{label}-{digest}.eml"
                self._write(self.directory / name, self._render(message, message_id))
            except OSError as exc:
                raise DeliveryError(f"cannot write to {self.directory}: {exc}") from exc
        return message_id

    def _render(self, message: EmailMessage, message_id: str) -> bytes:
        mime = MimeMessage(policy=email_policy)  # LF line ends: friendly to editors and grep
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Date"] = format_datetime(self.clock.now())
        mime["Message-ID"] = message_id
        for name, value in message.headers.items():
            mime[name] = value
        mime.set_content(message.text, cte="8bit")  # readable in a text editor, links whole
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html", cte="8bit")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            mime.add_attachment(
                attachment.data, maintype=maintype, subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )  # fmt: skip
        return mime.as_bytes()

    def _write(self, path: Path, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".sending-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
