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

import os
import re
import tempfile
import threading
import uuid
from pathlib import Path

from tickex.adapters.mime import key_digest, message_id_for, render_mime
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
        digest = key_digest(key)
        message_id = message_id_for(key)
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                if any(self.directory.glob(f"*-{digest}.eml")):
                    return message_id  # sent before under this key
                now = self.clock.now()
                label = _UNSAFE.sub("-", key)[:40].strip("-") or "message"
                name = f"{now:%Y%m%dT%H%M%S%fZ}-{label}-{digest}.eml"
                mime = render_mime(message, sender=self.sender, message_id=message_id, date=now)
                self._write(self.directory / name, mime.as_bytes())
            except OSError as exc:
                raise DeliveryError(f"cannot write to {self.directory}: {exc}") from exc
        return message_id

    def _write(self, path: Path, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".sending-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
