"""SQL storage adapter: SQLite (embedded default) and PostgreSQL (production).

``SqlStorage(url)`` implements the ``Storage`` port; see ``docs/adapters/sql.md``. The
package has the shape of every storage engine: ``storage`` (engine, migrate, ping),
``unit_of_work``, ``repositories/`` (one module an area), ``mapping/`` (rows <-> domain),
``schema`` (tables) and ``migrations``.
"""

from __future__ import annotations

from tickex.adapters.sql.storage import SqlStorage, normalize_url
from tickex.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlStorage", "SqlUnitOfWork", "normalize_url"]
