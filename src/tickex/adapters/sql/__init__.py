"""SQL storage adapter: SQLite (embedded default) and PostgreSQL (production).

``SqlStorage(url)`` implements the ``Storage`` port; see ``docs/adapters/sql.md``.
"""

from __future__ import annotations

from tickex.adapters.sql.storage import SqlStorage, SqlUnitOfWork, normalize_url

__all__ = ["SqlStorage", "SqlUnitOfWork", "normalize_url"]
