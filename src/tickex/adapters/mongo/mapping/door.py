"""Check-ins and staff credentials <-> documents."""

from __future__ import annotations

from tickex.adapters.mongo.mapping.common import KEY, Aggregate
from tickex.domain.check_in import CheckIn
from tickex.domain.identity import StaffCredential

CHECK_IN = Aggregate(CheckIn, nonce=KEY)
STAFF_CREDENTIAL = Aggregate(StaffCredential, event_id=KEY, token_hash=KEY)
