"""Ledger transactions <-> documents (the append order in ``sequence``, see
:meth:`~.common.Aggregate.dump`)."""

from __future__ import annotations

from tickex.adapters.mongo.mapping.common import Aggregate
from tickex.domain.ledger import LedgerTransaction

LEDGER_TRANSACTION = Aggregate(LedgerTransaction)
