"""The repository ports on MongoDB (pymongo), behaving exactly as the in-memory reference.

Every write is one single-document operation whose filter carries its condition, so the
check and the change are one atomic step in the server (never read-then-write):

- versioned saves: ``{_id, version: v}`` -> ``$set`` + ``$inc: {version: 1}``; no match is
  a ``ConcurrencyConflict``;
- inventory guards: ``{_id, $expr: sold + held + n <= size}`` -> ``$inc``; frees filter on
  ``counter >= n`` so counters never go below zero;
- promo uses: ``{_id, $or: [max_uses unset, $expr: uses < max_uses]}`` -> ``$inc``;
- a hold ends with ``{_id, status: "active"}`` -> ``$set``;
- a refresh session rotates with ``{_id, rotated_at: null, revoked_at: null}``, a one-time
  token is used with ``{_id, used_at: null, expires_at > now}``, an API key or a staff
  credential is revoked with ``{_id, revoked_at: null}`` -> ``$set``.

Revoking every session of a family or a user is one ``update_many`` over the sessions not
revoked yet (each document changes atomically; the count is the server's). It stamps each
one with an id unique to the call (``revocation_id``), so the inverse journalled for the
compensating mode restores exactly the sessions this call revoked.

Writes use ``find_one_and_update`` with the document *before* the change: the inverse
journalled for the compensating mode needs it (the previous name, size or document). In
that mode frees are checked when called and applied at commit (see :mod:`..unit_of_work`).
Unique indexes (see :mod:`..indexes`) turn duplicates into ``Conflict``.

One module an area, over :mod:`.base` (``_Repo``, and ``Insertable``/``Gettable``/
``Versioned`` for the collection of one aggregate mapped by its spec); each lists in
``REPOSITORIES`` the unit of work's attributes it fills, and :data:`REPOSITORIES` here is
all of them.
"""

from typing import Any

from tickex.adapters.mongo.repositories.base import _Repo
from tickex.adapters.mongo.repositories.identity import REVOCATION_FIELD

from . import catalog, delivery, door, finance, idempotency, identity, organizers, sales

#: Every attribute of the unit of work (see ``ports.unit_of_work.UnitOfWork``), by area.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    attribute: repository
    for area in (catalog, organizers, sales, door, delivery, finance, identity, idempotency)
    for attribute, repository in area.REPOSITORIES.items()
}

__all__ = ["REPOSITORIES", "REVOCATION_FIELD"]
