"""Organizer rows and the rows of requests for the organizer role."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import AnyRow, from_row, to_row
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest, OrganizerRequestStatus


def organizer_row(o: Organizer) -> dict[str, Any]:
    return to_row(s.organizers, o)


def organizer_from_row(r: AnyRow) -> Organizer:
    return from_row(Organizer, r)


def organizer_request_row(r: OrganizerRequest) -> dict[str, Any]:
    return to_row(s.organizer_requests, r)


def organizer_request_from_row(r: AnyRow) -> OrganizerRequest:
    return from_row(OrganizerRequest, r, status=OrganizerRequestStatus(r.status))
