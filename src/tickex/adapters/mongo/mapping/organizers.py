"""Organizers and organizer requests <-> documents."""

from __future__ import annotations

from tickex.adapters.mongo.mapping.common import KEY, Aggregate
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest

ORGANIZER = Aggregate(Organizer, payment_account_id=KEY)  # a webhook finds it by that
# user_id and status are the partial unique index's key and filter
ORGANIZER_REQUEST = Aggregate(OrganizerRequest, user_id=KEY, decided_by=KEY, organizer_id=KEY)
