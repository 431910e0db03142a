"""Read-only units of work read a snapshot without the write lock: on SQLite a reader in
the middle of its unit never makes a writer wait (nor the other way round)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.sql.support import sqlite_storage
from tickex.adapters.sql import SqlStorage
from tickex.testing import builders as b


def test_a_sqlite_reader_does_not_block_a_writer(tmp_path: Path) -> None:
    with sqlite_storage(tmp_path) as storage:
        org = b.organizer()
        with storage.unit_of_work() as uow:
            uow.organizers.add(org)
            uow.commit()
        impatient = SqlStorage(storage.url, busy_timeout_s=0.05)
        try:
            with storage.unit_of_work(read_only=True) as reader:
                assert reader.organizers.get(org.id) == org  # the snapshot starts here
                with impatient.unit_of_work() as writer:  # would time out behind a lock
                    writer.organizers.add(b.organizer(id="org-late"))
                    writer.commit()
                assert reader.organizers.get("org-late") is None  # still its snapshot
            with storage.unit_of_work(read_only=True) as later:
                assert later.organizers.get("org-late") is not None
        finally:
            impatient.close()
