"""Outbox messages <-> documents (payload keys escaped, see :mod:`.common`)."""

from __future__ import annotations

from tickex.adapters.mongo.mapping.common import KEY, Aggregate, Codec, payload, payload_doc
from tickex.domain.outbox import OutboxMessage

OUTBOX_MESSAGE = Aggregate(OutboxMessage, payload=Codec(payload_doc, payload), idempotency_key=KEY)
