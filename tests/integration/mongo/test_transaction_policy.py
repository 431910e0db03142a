"""The transactional mode's error policy, driven through a working fake session.

No MongoDB server can run here, so the policy the ADR describes is pinned down against a
fake ``ClientSession`` that keeps the same state machine (start, abort, commit) and fails
when told to, with the error labels a real server sends. The same code runs against a
real replica set in ``test_server.py`` and the contract suite when
``TICKEX_TEST_MONGODB_URI`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mongomock
import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from tickex.adapters.mongo.unit_of_work import TRANSIENT, UNKNOWN_COMMIT, Work
from tickex.domain.errors import ConcurrencyConflict


def transient() -> OperationFailure:
    return OperationFailure("WriteConflict", 112, {"errorLabels": [TRANSIENT]})


class FakeSession:
    def __init__(self, commit_errors: list[PyMongoError]) -> None:
        self.in_transaction = False
        self.log: list[str] = []
        self.commit_errors = commit_errors
        self.ended = False

    def start_transaction(self, **options: Any) -> None:
        assert not self.in_transaction
        assert {"read_concern", "write_concern", "read_preference"} <= set(options)
        self.in_transaction = True
        self.log.append("start")

    def abort_transaction(self) -> None:
        assert self.in_transaction
        self.in_transaction = False
        self.log.append("abort")

    def commit_transaction(self) -> None:
        self.log.append("commit")
        self.in_transaction = False
        if self.commit_errors:
            raise self.commit_errors.pop(0)

    def end_session(self) -> None:
        self.ended = True


class FakeClient:
    def __init__(self, commit_errors: list[PyMongoError] | None = None) -> None:
        self.session = FakeSession(commit_errors or [])

    def start_session(self, **options: Any) -> FakeSession:
        return self.session


def work(client: FakeClient, patience: float = 2.0, commit_patience: float = 2.0) -> Work:
    db: Any = mongomock.MongoClient().get_database("policy")
    w = Work(
        client,
        db,
        transactional=True,
        lock=None,
        conflict_patience=patience,
        commit_patience=commit_patience,
    )
    w.enter()
    return w


def failing(times: int, error: Callable[[], PyMongoError]) -> Callable[[Any], str]:
    calls = {"n": 0}

    def op(session: Any) -> str:
        assert session is not None
        assert session.in_transaction
        calls["n"] += 1
        if calls["n"] <= times:
            raise error()
        return f"done after {calls['n']}"

    return op


def test_a_conflict_on_the_first_write_restarts_the_transaction_and_retries() -> None:
    client = FakeClient()
    w = work(client)
    assert w.write(failing(2, transient)) == "done after 3"
    assert client.session.log == ["start", "abort", "start", "abort", "start"]
    w.commit()
    assert client.session.log[-1] == "commit"


def test_a_first_write_that_keeps_conflicting_gives_up_after_its_patience() -> None:
    w = work(FakeClient(), patience=0.05)
    with pytest.raises(ConcurrencyConflict):
        w.write(failing(10**6, transient))


def test_a_conflict_after_a_write_surfaces_so_the_whole_unit_is_retried() -> None:
    client = FakeClient()
    w = work(client)
    w.write(failing(0, transient))
    second = failing(1, transient)
    with pytest.raises(ConcurrencyConflict):
        w.write(second)
    assert client.session.log == ["start"]  # no silent restart: the first write would be lost
    with pytest.raises(ConcurrencyConflict):
        w.commit()
    assert client.session.log == ["start", "abort"]


def test_a_failed_write_aborts_so_commit_refuses() -> None:
    client = FakeClient()
    w = work(client)
    with pytest.raises(DuplicateKeyError):
        w.write(failing(1, lambda: DuplicateKeyError("E11000", 11000)))
    with pytest.raises(ConcurrencyConflict, match="aborted"):
        w.commit()
    assert "commit" not in client.session.log


def test_an_unknown_commit_result_is_committed_again() -> None:
    unknown = [PyMongoError("timeout", [UNKNOWN_COMMIT]), PyMongoError("net", [UNKNOWN_COMMIT])]
    client = FakeClient(commit_errors=unknown)
    w = work(client)
    w.write(failing(0, transient))
    w.commit()
    assert client.session.log == ["start", "commit", "commit", "commit"]


def test_a_transient_commit_error_is_a_concurrency_conflict() -> None:
    client = FakeClient(commit_errors=[transient()])
    w = work(client)
    w.write(failing(0, transient))
    with pytest.raises(ConcurrencyConflict):
        w.commit()


def test_other_commit_errors_are_not_disguised() -> None:
    client = FakeClient(commit_errors=[OperationFailure("unauthorized", 13)])
    w = work(client)
    w.write(failing(0, transient))
    with pytest.raises(OperationFailure):
        w.commit()


def test_a_transient_read_error_is_a_concurrency_conflict() -> None:
    w = work(FakeClient())
    with pytest.raises(ConcurrencyConflict):
        w.read(failing(1, transient))


def test_exit_aborts_an_open_transaction_and_ends_the_session() -> None:
    client = FakeClient()
    w = work(client)
    w.write(failing(0, transient))
    w.remember("ignored in transactional mode", lambda: False)
    assert w.journal_size == 0
    w.exit()
    assert client.session.log == ["start", "abort"]
    assert client.session.ended
    with pytest.raises(RuntimeError, match="context manager"):
        w.write(failing(0, transient))


# -- counter documents outside the transaction (ADR 0018) ---------------------------------
def take_outside(w: Work) -> Callable[[], int]:
    """One guard-like ``$inc`` outside the transaction, journalled with its inverse as
    the hot repositories do; returns how to read the counter back."""
    counters = w.collection("quotas", outside=True)
    counters.insert_one({"_id": "q", "held": 0})

    def take(session: Any) -> None:
        assert session is None  # never in the transaction
        counters.update_one({"_id": "q"}, {"$inc": {"held": 1}})

    def give_back() -> bool:
        return counters.update_one({"_id": "q"}, {"$inc": {"held": -1}}).matched_count == 1

    w.write(take, outside=True)
    w.remember("held += 1", give_back, outside=True)
    assert counters.write_concern.document == {"w": "majority"}
    return lambda: int(counters.find_one({"_id": "q"})["held"])  # type: ignore[index]


def test_a_counter_taken_outside_is_kept_when_the_transaction_commits() -> None:
    client = FakeClient()
    w = work(client)
    held = take_outside(w)
    w.write(failing(0, transient))
    w.commit()
    w.exit()
    assert held() == 1
    assert client.session.log == ["start", "commit"]


def test_a_counter_taken_outside_is_given_back_when_the_transaction_aborts() -> None:
    client = FakeClient(commit_errors=[transient()])
    w = work(client)
    held = take_outside(w)
    w.write(failing(0, transient))
    assert held() == 1  # visible at once: counters are outside the transaction
    with pytest.raises(ConcurrencyConflict):
        w.commit()
    w.exit()
    assert held() == 0
    assert w.unrestored == []


def test_a_counter_is_kept_when_the_commit_outcome_stays_unknown() -> None:
    """The transaction may have committed: giving the seat back could oversell it."""
    client = FakeClient(commit_errors=[PyMongoError("net", [UNKNOWN_COMMIT])])
    w = work(client, commit_patience=0.0)
    held = take_outside(w)
    w.write(failing(0, transient))
    with pytest.raises(PyMongoError, match="net"):
        w.commit()
    w.exit()
    assert held() == 1


def test_a_free_is_applied_after_the_transaction_commits() -> None:
    client = FakeClient()
    w = work(client)
    w.write(failing(0, transient))
    w.defer("quotas", "q", {"held": -1}, lambda: client.session.log.append("free"))
    assert w.overlay("quotas", {"_id": "q", "held": 1}) == {"_id": "q", "held": 0}
    w.commit()
    assert client.session.log == ["start", "commit", "free"]


def test_a_free_is_never_applied_when_the_transaction_aborts() -> None:
    client = FakeClient(commit_errors=[transient()])
    w = work(client)
    w.write(failing(0, transient))
    w.defer("quotas", "q", {"held": -1}, lambda: client.session.log.append("free"))
    with pytest.raises(ConcurrencyConflict):
        w.commit()
    w.exit()
    assert client.session.log == ["start", "commit"]
