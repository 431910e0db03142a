"""Check-ins and staff credentials <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    fields,
    lookup_keys,
    new_document,
    read,
    text,
    with_times,
)
from tickex.adapters.mongo.mapping.identity import read_credential, with_credential_times
from tickex.domain.check_in import CheckIn, CheckInResult, RejectionReason, ScanDirection
from tickex.domain.identity import StaffCredential


def check_in_doc(c: CheckIn) -> Document:
    doc = (
        new_document(c.id)
        | fields(c, "event_id", "ticket_id", "gate", "device")
        | {
            "direction": ScanDirection(c.direction).value,
            "result": CheckInResult(c.result).value,
            "reason": None if c.reason is None else RejectionReason(c.reason).value,
            "nonce": text(c.nonce, "nonce"),
        }
    )
    return with_times(doc, c, "scanned_at", "recorded_at")


def check_in(doc: Mapping[str, Any]) -> CheckIn:
    return CheckIn(
        **read(
            doc,
            *("event_id", "gate", "device", "nonce"),
            optional=("ticket_id",),
            times=("scanned_at", "recorded_at"),
        ),
        direction=ScanDirection(doc["direction"]),
        result=CheckInResult(doc["result"]),
        reason=None if doc.get("reason") is None else RejectionReason(doc["reason"]),
    )


def staff_credential_doc(c: StaffCredential) -> Document:
    doc = (
        new_document(c.id)
        | fields(c, "organizer_id", "label")
        | lookup_keys(c, "event_id", "token_hash")
    )
    return with_credential_times(doc, c)


def staff_credential(doc: Mapping[str, Any]) -> StaffCredential:
    return StaffCredential(
        **read_credential(doc, "event_id", "organizer_id", "label", "token_hash")
    )
