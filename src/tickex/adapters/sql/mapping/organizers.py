"""Organizer rows and the rows of requests for the organizer role."""

from __future__ import annotations

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import plain_object, plain_row
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest

organizer_row = plain_row(s.organizers)
organizer_from_row = plain_object(Organizer)
organizer_request_row = plain_row(s.organizer_requests)
organizer_request_from_row = plain_object(OrganizerRequest)
