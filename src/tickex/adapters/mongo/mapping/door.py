"""Check-ins and staff credentials <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    get_time,
    need_time,
    new_document,
    put_time,
    text,
)
from tickex.domain.check_in import CheckIn, CheckInResult, RejectionReason, ScanDirection
from tickex.domain.identity import StaffCredential


def check_in_doc(c: CheckIn) -> Document:
    doc = new_document(c.id) | {
        "event_id": c.event_id,
        "ticket_id": c.ticket_id,
        "gate": c.gate,
        "device": c.device,
        "direction": ScanDirection(c.direction).value,
        "result": CheckInResult(c.result).value,
        "reason": None if c.reason is None else RejectionReason(c.reason).value,
        "nonce": text(c.nonce, "nonce"),
    }
    put_time(doc, "scanned_at", c.scanned_at)
    put_time(doc, "recorded_at", c.recorded_at)
    return doc


def check_in(doc: Mapping[str, Any]) -> CheckIn:
    check_schema(doc)
    reason = doc.get("reason")
    return CheckIn(
        id=doc["_id"],
        event_id=doc["event_id"],
        ticket_id=doc.get("ticket_id"),
        gate=doc["gate"],
        device=doc["device"],
        direction=ScanDirection(doc["direction"]),
        scanned_at=need_time(doc, "scanned_at"),
        recorded_at=need_time(doc, "recorded_at"),
        result=CheckInResult(doc["result"]),
        reason=None if reason is None else RejectionReason(reason),
        nonce=doc["nonce"],
    )


def staff_credential_doc(c: StaffCredential) -> Document:
    doc = new_document(c.id) | {
        "event_id": text(c.event_id, "event_id"),
        "organizer_id": c.organizer_id,
        "label": c.label,
        "token_hash": text(c.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", c.created_at)
    put_time(doc, "last_used_at", c.last_used_at)
    put_time(doc, "revoked_at", c.revoked_at)
    return doc


def staff_credential(doc: Mapping[str, Any]) -> StaffCredential:
    check_schema(doc)
    return StaffCredential(
        id=doc["_id"],
        event_id=doc["event_id"],
        organizer_id=doc["organizer_id"],
        label=doc["label"],
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        last_used_at=get_time(doc, "last_used_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )
