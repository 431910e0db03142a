"""Organizers and organizer requests <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    get_time,
    need_time,
    new_document,
    optional_text,
    put_time,
    text,
)
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus


def organizer_doc(o: Organizer) -> Document:
    doc = new_document(o.id) | {
        "name": o.name,
        "email": o.email,
        "payment_account_id": o.payment_account_id,
        "version": o.version,
    }
    put_time(doc, "created_at", o.created_at)
    return doc


def organizer(doc: Mapping[str, Any]) -> Organizer:
    check_schema(doc)
    return Organizer(
        id=doc["_id"],
        name=doc["name"],
        email=doc["email"],
        created_at=need_time(doc, "created_at"),
        payment_account_id=doc.get("payment_account_id"),
        version=doc["version"],
    )


def organizer_request_doc(r: OrganizerRequest) -> Document:
    doc = new_document(r.id) | {
        # user_id and status are the partial unique index's key and filter
        "user_id": text(r.user_id, "user_id"),
        "organizer_name": r.organizer_name,
        "note": r.note,
        "status": OrganizerRequestStatus(r.status).value,
        "decided_by": optional_text(r.decided_by, "decided_by"),
        "reason": r.reason,
        "organizer_id": optional_text(r.organizer_id, "organizer_id"),
        "version": r.version,
    }
    put_time(doc, "created_at", r.created_at)
    put_time(doc, "decided_at", r.decided_at)
    return doc


def organizer_request(doc: Mapping[str, Any]) -> OrganizerRequest:
    check_schema(doc)
    return OrganizerRequest(
        id=doc["_id"],
        user_id=doc["user_id"],
        organizer_name=doc["organizer_name"],
        created_at=need_time(doc, "created_at"),
        note=doc.get("note"),
        status=OrganizerRequestStatus(doc["status"]),
        decided_at=get_time(doc, "decided_at"),
        decided_by=doc.get("decided_by"),
        reason=doc.get("reason"),
        organizer_id=doc.get("organizer_id"),
        version=doc["version"],
    )
