"""In-memory mailer and messenger: they keep what they were asked to send."""

from __future__ import annotations

import threading

from tickex.ports.mail import DeliveryError, EmailMessage, Mailer, Messenger, TextMessage


class InMemoryMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.fail_times = 0  # test hook: fail the next N sends (retryable)
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> str:
        with self._lock:
            if self.fail_times > 0:
                self.fail_times -= 1
                raise DeliveryError("mail server unavailable")
            self.sent.append(message)
            return f"mail-{len(self.sent)}"


class InMemoryMessenger(Messenger):
    def __init__(self) -> None:
        self.sent: list[TextMessage] = []
        self._lock = threading.Lock()

    def send(self, message: TextMessage) -> str:
        with self._lock:
            self.sent.append(message)
            return f"msg-{len(self.sent)}"
