"""The idempotency-key storage contract: a key is claimed once per caller by one atomic
insert, records change only at the version read, and expired ones are purged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickex.domain.errors import ConcurrencyConflict
from tickex.ports.idempotency import IdempotencyRecord
from tickex.ports.unit_of_work import Storage, UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, race, two_copies


def claimed_twice(storage: Storage) -> tuple[IdempotencyRecord, IdempotencyRecord]:
    """A new record claimed, then read back twice: two copies of one version."""
    record = b.idempotency_record()

    def claim(uow: UnitOfWork) -> None:
        assert uow.idempotency.claim(record)

    return two_copies(
        storage, claim, lambda uow: uow.idempotency.find(record.scope, record.key_digest)
    )


def stored(storage: Storage, scope: str, key_digest: str) -> IdempotencyRecord | None:
    return in_uow(storage, lambda uow: uow.idempotency.find(scope, key_digest))


class IdempotencyStorageContract(StorageFixture):
    """``UnitOfWork.idempotency``. Provide the same ``storage`` fixture as for
    :class:`StorageContract`."""

    def test_a_record_round_trips_exactly(self, storage: Storage) -> None:
        record = b.idempotency_record(
            scope="organizer:org-1", created_at=b.T0 + timedelta(microseconds=123_456),
            locked_until=b.T0 + timedelta(seconds=60, microseconds=999),
            resource_id="order-1", response='{"ok":"là","$where":"1","a.b":[1]}',
        )  # fmt: skip
        assert in_uow(storage, lambda uow: uow.idempotency.claim(record))
        assert stored(storage, record.scope, record.key_digest) == record
        assert stored(storage, "anonymous", record.key_digest) is None
        assert stored(storage, record.scope, "other") is None

    def test_a_key_is_claimed_once_per_scope(self, storage: Storage) -> None:
        first = b.idempotency_record(key_digest="d" * 64)
        assert in_uow(storage, lambda uow: uow.idempotency.claim(first))
        again = b.idempotency_record(key_digest="d" * 64, fingerprint="e" * 64)
        assert not in_uow(storage, lambda uow: uow.idempotency.claim(again))
        assert not in_uow(storage, lambda uow: uow.idempotency.claim(first))  # its id too
        assert stored(storage, first.scope, first.key_digest) == first
        elsewhere = b.idempotency_record(key_digest="d" * 64, scope="organizer:org-2")
        assert in_uow(storage, lambda uow: uow.idempotency.claim(elsewhere))

    def test_a_claim_rolled_back_leaves_the_key_free(self, storage: Storage) -> None:
        record = b.idempotency_record()
        assert in_uow(storage, lambda uow: uow.idempotency.claim(record), commit=False)
        assert stored(storage, record.scope, record.key_digest) is None
        assert in_uow(storage, lambda uow: uow.idempotency.claim(record))

    def test_saves_are_versioned(self, storage: Storage) -> None:
        first, stale = claimed_twice(storage)
        read = first.version
        first.resource_id, first.response = "order-1", '{"order_id":"order-1"}'
        in_uow(storage, lambda uow: uow.idempotency.save(first))
        assert first.version == read + 1
        stale.lease_id = "lease-of-a-retry"
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.idempotency.save(stale))
        assert stored(storage, first.scope, first.key_digest) == first
        gone = b.idempotency_record()
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.idempotency.save(gone))

    def test_a_record_is_removed_only_at_the_version_read(self, storage: Storage) -> None:
        current, stale = claimed_twice(storage)
        scope, digest = current.scope, current.key_digest
        in_uow(storage, lambda uow: uow.idempotency.save(current))
        assert not in_uow(storage, lambda uow: uow.idempotency.remove(stale))
        assert in_uow(storage, lambda uow: uow.idempotency.remove(current), commit=False)
        assert stored(storage, scope, digest) == current  # rolled back
        assert in_uow(storage, lambda uow: uow.idempotency.remove(current))
        assert stored(storage, scope, digest) is None
        assert not in_uow(storage, lambda uow: uow.idempotency.remove(current))
        again = b.idempotency_record(key_digest=digest)
        assert in_uow(storage, lambda uow: uow.idempotency.claim(again))

    def test_expired_records_are_purged_oldest_first_up_to_the_limit(
        self, storage: Storage
    ) -> None:
        t = b.T0
        ages = (timedelta(hours=-1), timedelta(hours=-2), timedelta(0), timedelta(microseconds=1))
        records = [b.idempotency_record(expires_at=t + age) for age in ages]
        in_uow(storage, lambda uow: [uow.idempotency.claim(r) for r in records])

        def left() -> list[str]:
            return [r.id for r in records if stored(storage, r.scope, r.key_digest)]

        assert in_uow(storage, lambda uow: uow.idempotency.purge_expired(t, 2)) == 2
        assert left() == [records[2].id, records[3].id]  # the two oldest went first
        assert in_uow(storage, lambda uow: uow.idempotency.purge_expired(t, 10), commit=False) == 1
        assert left() == [records[2].id, records[3].id]  # rolled back
        assert in_uow(storage, lambda uow: uow.idempotency.purge_expired(t, 10)) == 1
        assert left() == [records[3].id]  # expiring a microsecond later: kept
        assert in_uow(storage, lambda uow: uow.idempotency.purge_expired(t, 10)) == 0

    def test_racing_claims_of_one_key_have_exactly_one_winner(self, storage: Storage) -> None:
        self.skip_without_concurrency()
        claims = [b.idempotency_record(key_digest="r" * 64) for _ in range(8)]

        def claim(n: int) -> bool:
            for _ in range(5):  # as Services.transaction retries a unit
                try:
                    return in_uow(storage, lambda uow: uow.idempotency.claim(claims[n]))
                except ConcurrencyConflict:  # another claim won meanwhile: look again
                    continue
            raise AssertionError("a claim kept conflicting")

        won = race(8, claim)
        assert sorted(won) == [False] * 7 + [True]
        found = stored(storage, "anonymous", "r" * 64)
        assert found is not None
        assert found.id in {c.id for c in claims}
