"""Outbox messages <-> documents (payload keys escaped, see :mod:`.common`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    new_document,
    payload,
    payload_doc,
    read,
    text,
    with_times,
)
from tickex.domain.outbox import MessageKind, OutboxMessage, OutboxStatus


def outbox_doc(msg: OutboxMessage) -> Document:
    doc = new_document(msg.id) | {
        "kind": MessageKind(msg.kind).value,
        "payload": payload_doc(msg.payload),
        "idempotency_key": text(msg.idempotency_key, "idempotency_key"),
        "attempts": msg.attempts,
        "status": OutboxStatus(msg.status).value,
        "last_error": msg.last_error,
    }
    return with_times(doc, msg, "created_at", "available_at")


def outbox_message(doc: Mapping[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        **read(
            doc,
            *("idempotency_key", "attempts", "last_error"),
            times=("created_at", "available_at"),
        ),
        kind=MessageKind(doc["kind"]),
        payload=payload(doc["payload"]),
        status=OutboxStatus(doc["status"]),
    )
