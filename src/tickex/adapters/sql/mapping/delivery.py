"""Outbox rows (the payload as JSON)."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, to_row
from tickex.domain.outbox import MessageKind, OutboxMessage, OutboxStatus


def outbox_row(m: OutboxMessage) -> dict[str, Any]:
    return to_row(s.outbox, m)


def outbox_from_row(r: AnyRow) -> OutboxMessage:
    return from_row(
        OutboxMessage,
        r,
        kind=MessageKind(r.kind),
        payload=dict(r.payload),
        status=OutboxStatus(r.status),
    )
