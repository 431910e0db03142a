"""The repository ports in memory: the reference behaviour the other engines match.

One module an area, over :mod:`.base` (``_Repo``); each lists in ``REPOSITORIES`` the unit
of work's attributes it fills, and :data:`REPOSITORIES` here is all of them.
"""

from typing import Any

from tickex.adapters.memory.repositories import (
    catalog,
    delivery,
    door,
    finance,
    identity,
    organizers,
    sales,
)
from tickex.adapters.memory.repositories.base import _Repo

#: Every attribute of the unit of work (see ``ports.unit_of_work.UnitOfWork``), by area.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    attribute: repository
    for area in (catalog, organizers, sales, door, delivery, finance, identity)
    for attribute, repository in area.REPOSITORIES.items()
}

__all__ = ["REPOSITORIES"]
