"""Organizers and organizer requests <-> documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    fields,
    new_document,
    optional_text,
    read,
    text,
    with_times,
)
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus


def organizer_doc(o: Organizer) -> Document:
    doc = new_document(o.id) | fields(o, "name", "email", "payment_account_id", "version")
    return with_times(doc, o, "created_at")


def organizer(doc: Mapping[str, Any]) -> Organizer:
    return Organizer(
        **read(
            doc, "name", "email", "version", optional=("payment_account_id",), times=("created_at",)
        )
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
    return with_times(doc, r, "created_at", "decided_at")


def organizer_request(doc: Mapping[str, Any]) -> OrganizerRequest:
    return OrganizerRequest(
        **read(
            doc,
            *("user_id", "organizer_name", "version"),
            optional=("note", "decided_by", "reason", "organizer_id"),
            times=("created_at",),
            optional_times=("decided_at",),
        ),
        status=OrganizerRequestStatus(doc["status"]),
    )
