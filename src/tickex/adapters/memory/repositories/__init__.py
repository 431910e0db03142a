"""The repository ports in memory: the reference behaviour the other engines match.

Each area's module (``catalog``, ``organizers``, ``sales``, ``door``, ``delivery``,
``finance``, ``identity``, over ``base``) names the unit of work's attributes it fills in
its ``REPOSITORIES``; the unit of work sets up every one of :data:`REPOSITORIES`.
"""

from typing import Any

from tickex.adapters.memory.repositories.base import _Repo

from . import catalog, delivery, door, finance, idempotency, identity, organizers, sales

#: Every attribute of the unit of work (see ``ports.unit_of_work.UnitOfWork``), by area.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    attribute: repository
    for area in (catalog, organizers, sales, door, delivery, finance, identity, idempotency)
    for attribute, repository in area.REPOSITORIES.items()
}

__all__ = ["REPOSITORIES"]
