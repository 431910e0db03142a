"""Outbox rows (the payload as JSON)."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, plain_row
from tickex.domain.outbox import OutboxMessage

outbox_row = plain_row(s.outbox)


def outbox_from_row(r: AnyRow) -> OutboxMessage:
    return from_row(OutboxMessage, r, payload=dict(r.payload))
