"""Stripe's webhooks as the fake sends them: the signature header, the endpoints events go
to (with their signing secrets, queue and deliveries) and the HTTP post of one delivery."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tickex.testing.fake_stripe.wire import Json

#: what a webhook is sent to: a URL, or a callable taking (body, headers) that answers the
#: HTTP status (a test client's ``post``)
Sender = Callable[[bytes, Mapping[str, str]], int]


def signature_header(payload: bytes, secrets_: Iterable[str], timestamp: int) -> str:
    """``t=<timestamp>,v1=<signature>[,v1=...]``: one signature per secret."""
    signed = str(timestamp).encode() + b"." + payload
    parts = [f"t={timestamp}"]
    for secret in secrets_:
        parts.append("v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest())
    return ",".join(parts)


@dataclass
class Delivery:
    event_id: str
    event_type: str
    status: int | None  # None: lost in transit or unreachable
    signature: str


@dataclass
class WebhookEndpoint:
    target: str | Sender
    secrets: list[str]  # the newest last; all of them sign while a secret is rolled
    queue: deque[Json] = field(default_factory=deque)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def secret(self) -> str:
        return self.secrets[-1]

    def roll_secret(self, *, keep_old: bool = True) -> str:
        """A new signing secret; the old one keeps signing too until ``keep_old=False``
        (Stripe lets both sign for a while, so receivers can switch)."""
        new = "whsec_" + secrets.token_hex(16)
        self.secrets = [*self.secrets, new] if keep_old else [new]
        return new

    def delivered(self, event_type: str | None = None) -> list[Delivery]:
        """Deliveries the endpoint answered with 2xx."""
        return [d for d in self.deliveries if d.status is not None and 200 <= d.status < 300
                and (event_type is None or d.event_type == event_type)]  # fmt: skip


def post(target: str | Sender, body: bytes, headers: Mapping[str, str]) -> int | None:
    if not isinstance(target, str):
        return target(body, headers)
    if urlsplit(target).scheme not in ("http", "https"):
        raise ValueError(f"webhooks go to http(s) URLs, not {target!r}")
    request = urllib.request.Request(target, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None
