"""Outbox messages <-> documents (payload keys escaped, see :mod:`.common`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    need_time,
    new_document,
    payload,
    payload_doc,
    put_time,
    text,
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
    put_time(doc, "created_at", msg.created_at)
    put_time(doc, "available_at", msg.available_at)
    return doc


def outbox_message(doc: Mapping[str, Any]) -> OutboxMessage:
    check_schema(doc)
    return OutboxMessage(
        id=doc["_id"],
        kind=MessageKind(doc["kind"]),
        payload=payload(doc["payload"]),
        idempotency_key=doc["idempotency_key"],
        created_at=need_time(doc, "created_at"),
        available_at=need_time(doc, "available_at"),
        attempts=doc["attempts"],
        status=OutboxStatus(doc["status"]),
        last_error=doc["last_error"],
    )
