"""A negative control for ADR 0018: the quota and promo-code repositories with their
counters back inside the unit's transaction (``hot = False``), the design before that ADR,
under which racing buyers abort each other's transactions on the hot documents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tickex.adapters.mongo.repositories import REPOSITORIES
from tickex.adapters.mongo.repositories.catalog import (
    MongoPromoCodeRepository,
    MongoQuotaRepository,
)


class QuotasInTransaction(MongoQuotaRepository):
    hot = False


class PromoCodesInTransaction(MongoPromoCodeRepository):
    hot = False


@contextmanager
def counters_in_transactions() -> Iterator[None]:
    """Units of work made meanwhile keep the counters in their transactions."""
    saved = {name: REPOSITORIES[name] for name in ("quotas", "promo_codes")}
    REPOSITORIES.update(quotas=QuotasInTransaction, promo_codes=PromoCodesInTransaction)
    try:
        yield
    finally:
        REPOSITORIES.update(saved)
