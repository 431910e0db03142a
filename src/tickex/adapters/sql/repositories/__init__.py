"""The SQL repositories, one module an area, and the set a unit of work attaches.

``REPOSITORIES`` names each repository after its attribute on the ``UnitOfWork`` port;
``SqlUnitOfWork`` builds one of each (a subclass may swap some, see
``SqlUnitOfWork.repositories``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.sql.repositories.base import SqlRepository
from tickex.adapters.sql.repositories.catalog import Events, PromoCodes, Quotas, TicketTypes
from tickex.adapters.sql.repositories.delivery import Outbox
from tickex.adapters.sql.repositories.door import CheckIns, StaffCredentials
from tickex.adapters.sql.repositories.finance import Ledger
from tickex.adapters.sql.repositories.idempotency import IdempotencyKeys
from tickex.adapters.sql.repositories.identity import ApiKeys, OneTimeTokens, Sessions, Users
from tickex.adapters.sql.repositories.organizers import OrganizerRequests, Organizers
from tickex.adapters.sql.repositories.sales import (
    Holds,
    Orders,
    PaymentReviews,
    ProcessedEvents,
    Tickets,
)

REPOSITORIES: Mapping[str, type[SqlRepository[Any]]] = {
    "organizers": Organizers,
    "events": Events,
    "ticket_types": TicketTypes,
    "quotas": Quotas,
    "promo_codes": PromoCodes,
    "holds": Holds,
    "orders": Orders,
    "tickets": Tickets,
    "check_ins": CheckIns,
    "ledger": Ledger,
    "outbox": Outbox,
    "processed_events": ProcessedEvents,
    "payment_reviews": PaymentReviews,
    "users": Users,
    "sessions": Sessions,
    "one_time_tokens": OneTimeTokens,
    "api_keys": ApiKeys,
    "staff_credentials": StaffCredentials,
    "organizer_requests": OrganizerRequests,
    "idempotency": IdempotencyKeys,
}

__all__ = [
    "REPOSITORIES",
    "ApiKeys",
    "CheckIns",
    "Events",
    "Holds",
    "IdempotencyKeys",
    "Ledger",
    "OneTimeTokens",
    "Orders",
    "OrganizerRequests",
    "Organizers",
    "Outbox",
    "PaymentReviews",
    "ProcessedEvents",
    "PromoCodes",
    "Quotas",
    "Sessions",
    "SqlRepository",
    "StaffCredentials",
    "TicketTypes",
    "Tickets",
    "Users",
]
