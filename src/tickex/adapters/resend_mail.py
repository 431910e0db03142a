"""``ResendMailer``: email through Resend's HTTP API (``POST /emails``), with httpx.

Not the ``resend`` SDK: it keeps the API key, the base URL and the HTTP client in module
globals (``resend.api_key``), so two mailers in one process would share one key and a test
would reach into a global (docs/adr/0010-mail-transports.md).

- The request: ``{from, to: [...], subject, text, html?, attachments: [{filename,
  content (base64), content_type, content_id?}], headers?}`` (``content_id``: an image
  the HTML shows inline by ``cid:``), ``Authorization: Bearer <key>`` and
  ``Idempotency-Key`` (the message's key; one longer than Resend's 256 characters is sent
  as its SHA-256). Resend answers the same id for the same key and payload within 24
  hours, so a retry after a timeout does not send twice.
- The answer: ``{"id": ...}``, which ``send`` returns. Errors are ``{statusCode, name,
  message}``: 429 (rate limit, quotas), 5xx, 409 ``concurrent_idempotent_requests``,
  timeouts and transport errors are retryable; 400, 401, 403, 404, 409
  ``invalid_idempotent_request``, 422 and every other 4xx are not.
- Every call has a timeout and an overall deadline; responses are capped at 64 KiB; no
  redirects are followed. The key is never logged nor put in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from tickex.adapters.loopback import is_loopback
from tickex.ports.mail import Attachment, DeliveryError, EmailMessage, Mailer

DEFAULT_BASE_URL = "https://api.resend.com"
DEFAULT_SENDER = "TickEx <no-reply@tickex.localhost>"
MAX_RESPONSE_BYTES = 64 * 1024
MAX_IDEMPOTENCY_KEY = 256
_RETRYABLE_CONFLICTS = frozenset({"concurrent_idempotent_requests"})
_TEXT_CHARS = 200


class ResendMailer(Mailer):
    def __init__(
        self,
        api_key: str,
        *,
        sender: str = DEFAULT_SENDER,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        http: httpx.Client | None = None,
    ) -> None:
        if not api_key.strip():
            raise ValueError("an API key is required")
        if not 0 < timeout <= 300:
            raise ValueError("timeout must be between 0 and 300 seconds")
        parts = urlsplit(base_url)
        loopback = parts.hostname is not None and is_loopback(parts.hostname)
        if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
            raise ValueError("the base URL must be https (http only on loopback, for tests)")
        self._api_key = api_key
        self.sender = sender
        self.endpoint = base_url.rstrip("/") + "/emails"
        self.timeout = timeout
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ResendMailer(endpoint={self.endpoint!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def send(self, message: EmailMessage) -> str:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "tickex",
            "Idempotency-Key": idempotency_key(message.idempotency_key or uuid.uuid4().hex),
        }
        body = json.dumps(self._payload(message), ensure_ascii=False).encode("utf-8")
        status, answer = self._post(body, headers)
        if status == 200:
            email_id = answer.get("id") if isinstance(answer, dict) else None
            if not isinstance(email_id, str) or not 0 < len(email_id) <= 255:
                # sent, most likely: a retry with the same key answers the same id
                raise DeliveryError("Resend answered 200 without an email id")
            return email_id
        raise self._error(status, answer)

    def _payload(self, message: EmailMessage) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "from": self.sender,
            "to": [message.to],
            "subject": message.subject,
            "text": message.text,
        }
        if message.html is not None:
            payload["html"] = message.html
        if message.attachments:
            payload["attachments"] = [
                _attachment(attachment, inline=bool(message.html))
                for attachment in message.attachments
            ]
        if message.headers:
            payload["headers"] = dict(message.headers)
        return payload

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        deadline = time.monotonic() + self.timeout * 2  # however slowly the answer drips
        try:
            with self._http.stream("POST", self.endpoint, content=body, headers=headers) as answer:
                chunks: list[bytes] = []
                size = 0
                for chunk in answer.iter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise DeliveryError(
                            f"Resend's answer is larger than {MAX_RESPONSE_BYTES} bytes"
                        )
                    if time.monotonic() > deadline:
                        raise DeliveryError("Resend's answer took too long")
                    chunks.append(chunk)
                status = answer.status_code
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"Resend did not answer in time ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"Resend could not be reached ({type(exc).__name__})"
            ) from None  # the exception's text may hold the request: never repeated
        try:
            return status, json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError):
            return status, None

    def _error(self, status: int, answer: Any) -> DeliveryError:
        fields = answer if isinstance(answer, dict) else {}
        name = fields.get("name") if isinstance(fields.get("name"), str) else ""
        text = fields.get("message") if isinstance(fields.get("message"), str) else ""
        text = " ".join(str(text).replace(self._api_key, "***").split())[:_TEXT_CHARS]
        retryable = (
            status in (408, 429)
            or status >= 500
            or (status == 409 and name in _RETRYABLE_CONFLICTS)
        )
        detail = ": ".join(part for part in (str(name)[:64], text) if part)
        return DeliveryError(
            f"Resend answered {status}" + (f" ({detail})" if detail else ""), retryable=retryable
        )


def _attachment(attachment: Attachment, *, inline: bool) -> dict[str, str]:
    fields = {
        "filename": attachment.filename,
        "content": base64.b64encode(attachment.data).decode("ascii"),
        "content_type": attachment.content_type,
    }
    if attachment.content_id and inline:  # shown where the HTML says cid:, as render_mime does
        fields["content_id"] = attachment.content_id
    return fields


def idempotency_key(key: str) -> str:
    """The message's key as Resend takes it: 1 to 256 printable ASCII characters (else its
    SHA-256, as stable across retries as the key itself)."""
    if 0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isascii() and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
