"""System clock, ids and secrets: the production sources of time and randomness."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from tickex.ports.clock import Clock, IdGenerator, SecretGenerator

ORDER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class UuidIdGenerator(IdGenerator):
    def new_id(self) -> str:
        return uuid.uuid4().hex


class SystemSecretGenerator(SecretGenerator):
    def order_code(self) -> str:
        return "".join(secrets.choice(ORDER_CODE_ALPHABET) for _ in range(8))

    def ticket_secret(self) -> str:
        return secrets.token_urlsafe(20)
