"""A local fake of Resend's email API for tests: a real HTTP server on 127.0.0.1 in a thread.

It speaks Resend's wire format for ``POST /emails``: the bearer key is checked (401
``missing_api_key``, 403 ``invalid_api_key``), the JSON body's shape is validated (422
``missing_required_field``, ``invalid_from_address``, ``invalid_attachment``,
``validation_error``), ``Idempotency-Key`` is honoured as Resend documents it (the same key
and payload answer the first id and send nothing; the same key with another payload is 409
``invalid_idempotent_request``; a key outside 1-256 characters is 400
``invalid_idempotency_key``). Errors are ``{"statusCode", "name", "message"}``; success is
``{"id": ...}``. It can misbehave on request::

    with FakeResend(api_key="re_test_key") as resend:
        mailer = ResendMailer("re_test_key", base_url=resend.base_url)
        resend.fail_next(429)             # the next request is rate-limited
        resend.fail_next(500, times=2)    # then two internal errors
        resend.delay = 2.0                # answers take two seconds
        resend.pad_answers = 100_000      # answers carry 100 kB of padding
        resend.emails                     # the accepted payloads, each with its "id"
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from typing import Any

from tickex.ports.mail import Attachment, EmailMessage
from tickex.testing.loopback_server import LoopbackHandler, LoopbackServer

MAX_BODY_BYTES = 45 * 1024 * 1024  # Resend: 40 MB of attachments after base64
MAX_RECIPIENTS = 50
DEFAULT_NAMES = {
    400: "validation_error",
    401: "missing_api_key",
    403: "invalid_api_key",
    409: "concurrent_idempotent_requests",
    422: "validation_error",
    429: "rate_limit_exceeded",
    451: "security_error",
    500: "internal_server_error",
    502: "application_error",
    503: "application_error",
}


class FakeResend(LoopbackServer):
    def __init__(self, *, api_key: str = "re_test_0123456789abcdef") -> None:
        super().__init__(_Handler, name="fake-resend")
        self.api_key = api_key
        self.emails: list[dict[str, Any]] = []
        self.requests = 0
        self.idempotency_keys: list[str | None] = []
        self.delay = 0.0
        self.pad_answers = 0  # bytes of padding in every answer (a response size cap test)
        self._failures: deque[tuple[int, str, str]] = deque()
        self._idempotent: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (digest, answer)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.url

    # -- steering ---------------------------------------------------------------------------
    def fail_next(
        self, status: int, *, name: str | None = None, message: str = "", times: int = 1
    ) -> None:
        """Answer the next ``times`` requests with this error (before anything is checked)."""
        error = name or DEFAULT_NAMES.get(status, "application_error")
        with self._lock:
            for _ in range(times):
                self._failures.append((status, error, message or f"fake {error}"))

    @staticmethod
    def attachments_of(email: dict[str, Any]) -> list[tuple[str, bytes]]:
        """An accepted email's attachments, decoded: ``[(filename, bytes), ...]``."""
        return [
            (a["filename"], base64.b64decode(a["content"])) for a in email.get("attachments", [])
        ]

    def delivered(self) -> list[EmailMessage]:
        """Every accepted email as the port's message, as Resend would deliver it (what
        ``MailerContract`` reads back)."""
        return [_as_message(sent) for sent in self.emails]

    # -- the endpoint (called from the handler threads) --------------------------------------
    def _send_email(
        self, authorization: str | None, key: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests += 1
            self.idempotency_keys.append(key)
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            return _error(*failure)
        if not authorization or not authorization.startswith("Bearer "):
            return _error(401, "missing_api_key", "Missing API key in the authorization header.")
        if not hmac.compare_digest(authorization[7:].encode(), self.api_key.encode()):
            return _error(403, "invalid_api_key", "API key is invalid")
        if key is not None and not 1 <= len(key) <= 256:
            return _error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "validation_error", "The body is not valid JSON.")
        problem = _invalid(body)
        if problem is not None:
            return problem
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            if key is not None and key in self._idempotent:
                seen, answer = self._idempotent[key]
                if seen != digest:
                    message = "Same idempotency key used with a different request payload."
                    return _error(409, "invalid_idempotent_request", message)
                return 200, answer  # nothing is sent again
            answer = {"id": str(uuid.uuid4())}
            self.emails.append({**body, "id": answer["id"]})
            if key is not None:
                self._idempotent[key] = (digest, answer)
        return 200, answer


def _as_message(sent: dict[str, Any]) -> EmailMessage:
    files = tuple(
        Attachment(
            a["filename"],
            a.get("content_type", ""),
            base64.b64decode(a["content"]),
            a.get("content_id", ""),
        )
        for a in sent.get("attachments", [])
    )
    to = sent["to"]
    return EmailMessage(
        to=", ".join(to) if isinstance(to, list) else to,
        subject=sent["subject"],
        text=sent.get("text") or "",
        html=sent.get("html"),
        attachments=files,
        headers=dict(sent.get("headers") or {}),
    )


def _error(status: int, name: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"statusCode": status, "name": name, "message": message}


def _addresses(value: Any, *, required: bool) -> bool:
    if value is None:
        return not required
    values = [value] if isinstance(value, str) else value
    return (
        isinstance(values, list)
        and (0 < len(values) <= MAX_RECIPIENTS)
        and all(isinstance(v, str) and "@" in v for v in values)
    )


def _invalid(body: Any) -> tuple[int, dict[str, Any]] | None:
    """Resend's answer to a malformed body, or None when the body is fine."""
    if not isinstance(body, dict):
        return _error(422, "validation_error", "The body must be a JSON object.")
    missing = [field for field in ("from", "to", "subject") if field not in body]
    if missing:
        return _error(422, "missing_required_field", f"Missing `{', '.join(missing)}` field.")
    sender = body["from"]
    if not isinstance(sender, str) or "@" not in sender:
        return _error(422, "invalid_from_address", "Invalid `from` field.")
    if not _addresses(body["to"], required=True):
        return _error(422, "validation_error", "Invalid `to` field.")
    for field in ("cc", "bcc", "reply_to"):
        if not _addresses(body.get(field), required=False):
            return _error(422, "validation_error", f"Invalid `{field}` field.")
    if not isinstance(body["subject"], str):
        return _error(422, "validation_error", "Invalid `subject` field.")
    for field in ("text", "html"):
        if field in body and not isinstance(body[field], str):
            return _error(422, "validation_error", f"Invalid `{field}` field.")
    if "text" not in body and "html" not in body:
        return _error(422, "missing_required_field", "Missing `html` or `text` field.")
    headers = body.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        return _error(422, "validation_error", "Invalid `headers` field.")
    attachments = body.get("attachments", [])
    if not isinstance(attachments, list):
        return _error(422, "validation_error", "Invalid `attachments` field.")
    for attachment in attachments:
        if not isinstance(attachment, dict) or not isinstance(attachment.get("filename"), str):
            return _error(422, "invalid_attachment", "Attachment must have a `filename`.")
        content = attachment.get("content")
        if not isinstance(content, str):
            return _error(422, "invalid_attachment", "Attachment must have either a `content` "
                          "or `path`.")  # fmt: skip
        try:
            base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            return _error(422, "invalid_attachment", "Attachment `content` must be base64.")
    return None


class _Handler(LoopbackHandler):
    fake: FakeResend
    server_version = "FakeResend/1"

    def _json(self, status: int, payload: object) -> None:
        if self.fake.pad_answers and isinstance(payload, dict):
            payload = {**payload, "padding": "x" * self.fake.pad_answers}
        body = json.dumps(payload).encode()
        self.send(status, body, {"Content-Type": "application/json; charset=utf-8"})

    def do_POST(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's hook names
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._json(*_error(413, "validation_error", "The body is too large."))
            return
        raw = self.rfile.read(length)
        if self.fake.delay:
            time.sleep(self.fake.delay)
        if self.path != "/emails":
            self._json(*_error(404, "not_found", "The requested endpoint does not exist."))
            return
        status, payload = self.fake._send_email(
            self.headers.get("Authorization"), self.headers.get("Idempotency-Key"), raw
        )
        self._json(status, payload)

    def do_GET(self) -> None:  # noqa: N802
        self._json(*_error(405, "method_not_allowed", "Method is not allowed for the path."))
