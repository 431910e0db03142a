"""The identity repositories on MongoDB: documents, conflicts and the compensating mode
(a unit that does not commit leaves users, sessions, tokens and keys exactly as it found
them, and never undoes what another unit did)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.mongo.test_compensation import fail_after, snapshot, twin
from tickex.adapters.mongo import MongoStorage, MongoUnitOfWork
from tickex.adapters.mongo.repositories import REVOCATION_FIELD
from tickex.domain.errors import Conflict
from tickex.domain.identity import Role
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b
from tickex.testing.contracts import in_uow

T1, T2 = b.T0 + timedelta(minutes=1), b.T0 + timedelta(minutes=2)


def test_identity_documents_keep_microseconds_and_store_no_secret_in_clear(
    storage: MongoStorage,
) -> None:
    precise = b.T0 + timedelta(microseconds=123456)
    user = b.user(email="Ana@Example.com", roles=frozenset({Role.ADMIN}),
                  sessions_valid_after=precise)  # fmt: skip
    session = b.refresh_session(created_at=precise, expires_at=precise + timedelta(days=1))
    in_uow(storage, lambda uow: [uow.users.add(user), uow.sessions.add(session)])
    raw = storage.database.users.find_one({"_id": user.id})
    assert raw is not None
    assert raw["email"] == "ana@example.com"
    assert raw["roles"] == ["admin", "customer"]
    assert raw["google_subject"] is None
    assert raw["sessions_valid_after_us"] == 456
    assert in_uow(storage, lambda uow: uow.users.get(user.id)) == user
    found = in_uow(storage, lambda uow: uow.sessions.get_by_token_hash(session.token_hash))
    assert found == session


def test_a_duplicate_user_is_refused_naming_the_field_taken(storage: MongoStorage) -> None:
    ana = b.user(email="ana@example.com", google_subject="g-1")
    bea = b.user(email="bea@example.com")
    in_uow(storage, lambda uow: [uow.users.add(ana), uow.users.add(bea)])
    with pytest.raises(Conflict) as email:
        in_uow(storage, lambda uow: uow.users.add(b.user(email=" ANA@example.com")))
    with pytest.raises(Conflict) as subject:
        in_uow(storage, lambda uow: uow.users.add(b.user(google_subject="g-1")))
    with pytest.raises(Conflict) as same_id:
        in_uow(storage, lambda uow: uow.users.add(b.user(id=ana.id)))
    fields = [e.value.context.get("field") for e in (email, subject, same_id)]
    assert fields == ["email", "google_subject", None]

    def relink(uow: UnitOfWork, **changes: str) -> None:
        loaded = uow.users.get(bea.id)
        assert loaded is not None
        for name, value in changes.items():
            setattr(loaded, name, value)
        uow.users.save(loaded)

    with pytest.raises(Conflict) as saved_subject:
        in_uow(storage, lambda uow: relink(uow, google_subject="g-1"))
    with pytest.raises(Conflict) as saved_email:
        in_uow(storage, lambda uow: relink(uow, email="ana@example.com"))
    fields = [e.value.context["field"] for e in (saved_subject, saved_email)]
    assert fields == ["google_subject", "email"]
    assert in_uow(storage, lambda uow: uow.users.get(bea.id)) == bea


def test_a_one_time_token_expires_to_the_microsecond(storage: MongoStorage) -> None:
    edge = b.T0 + timedelta(microseconds=500)
    token = b.one_time_token(expires_at=edge)
    in_uow(storage, lambda uow: uow.one_time_tokens.add(token))
    assert not in_uow(storage, lambda uow: uow.one_time_tokens.use(token.id, edge))
    assert in_uow(
        storage, lambda uow: uow.one_time_tokens.use(token.id, edge - timedelta(microseconds=1))
    )


def test_revoked_sessions_carry_the_id_of_their_revocation(storage: MongoStorage) -> None:
    sessions = [b.refresh_session(user_id="u1", family_id=f) for f in ("f1", "f1", "f2")]
    in_uow(storage, lambda uow: [uow.sessions.add(s) for s in sessions])
    assert in_uow(storage, lambda uow: uow.sessions.revoke_family("f1", b.T0)) == 2
    assert in_uow(storage, lambda uow: uow.sessions.revoke_user("u1", T1)) == 1
    raw = {d["_id"]: d for d in storage.database.refresh_sessions.find()}
    first, second, third = (raw[s.id][REVOCATION_FIELD] for s in sessions)
    assert first == second != third


def test_every_identity_write_of_a_failed_unit_is_undone(storage: MongoStorage) -> None:
    user = b.user(google_subject="g-1")
    s1, s2 = b.refresh_session(user_id=user.id), b.refresh_session(user_id=user.id)
    token = b.one_time_token(user_id=user.id)
    key = b.api_key(last_used_at=b.T0)
    credential = b.staff_credential()
    in_uow(storage, lambda uow: [uow.users.add(user), uow.sessions.add(s1), uow.sessions.add(s2),
                                 uow.one_time_tokens.add(token), uow.api_keys.add(key),
                                 uow.staff_credentials.add(credential)])  # fmt: skip
    before = snapshot(storage)

    def body(uow: MongoUnitOfWork) -> None:
        uow.users.add(b.user())
        uow.sessions.add(b.refresh_session(user_id=user.id))
        uow.one_time_tokens.add(b.one_time_token())
        uow.api_keys.add(b.api_key())
        uow.staff_credentials.add(b.staff_credential())
        loaded = uow.users.get(user.id)
        assert loaded is not None
        loaded.change_password("$argon2id$new", b.T0)
        uow.users.save(loaded)
        assert uow.sessions.rotate(s1.id, b.T0)
        assert uow.sessions.revoke_family(s1.family_id, T1) == 3
        assert uow.sessions.revoke_user(user.id, T2) == 0
        assert uow.one_time_tokens.use(token.id, b.T0)
        uow.api_keys.touch(key.id, T1)
        assert uow.api_keys.revoke(key.id, T1)
        uow.api_keys.touch(key.id, T2)
        uow.staff_credentials.touch(credential.id, T1)
        assert uow.staff_credentials.revoke(credential.id, T1)

    uow = fail_after(storage, body)
    assert uow.work.unrestored == []
    assert snapshot(storage) == before


def test_undoing_a_revocation_restores_only_the_sessions_it_revoked(
    storage: MongoStorage,
) -> None:
    mine = [b.refresh_session(user_id="u1", family_id="f1") for _ in range(2)]
    in_uow(storage, lambda uow: [uow.sessions.add(s) for s in mine])
    other = twin(storage)
    theirs = b.refresh_session(user_id="u1", family_id="f2")

    def body(uow: MongoUnitOfWork) -> None:
        assert uow.sessions.revoke_user("u1", b.T0) == 2
        # another unit revokes a session of the same user at the same instant, and commits
        in_uow(other, lambda o: o.sessions.add(theirs))
        assert in_uow(other, lambda o: o.sessions.revoke_family("f2", b.T0)) == 1

    uow = fail_after(storage, body)
    assert uow.work.unrestored == []
    for s in mine:
        digest = s.token_hash
        assert in_uow(storage, lambda u: u.sessions.get_by_token_hash(digest)) == s  # noqa: B023
        raw = storage.database.refresh_sessions.find_one({"_id": s.id})
        assert raw is not None
        assert REVOCATION_FIELD not in raw
    kept = in_uow(storage, lambda u: u.sessions.get_by_token_hash(theirs.token_hash))
    assert kept is not None
    assert kept.revoked_at == b.T0


def test_undoing_a_rotation_keeps_a_later_revocation_by_another_unit(
    storage: MongoStorage,
) -> None:
    session = b.refresh_session()
    in_uow(storage, lambda uow: uow.sessions.add(session))
    other = twin(storage)

    def body(uow: MongoUnitOfWork) -> None:
        assert uow.sessions.rotate(session.id, b.T0)
        assert in_uow(other, lambda o: o.sessions.revoke_family(session.family_id, T1)) == 1

    uow = fail_after(storage, body)
    assert uow.work.unrestored == []
    loaded = in_uow(storage, lambda u: u.sessions.get_by_token_hash(session.token_hash))
    assert loaded is not None
    assert (loaded.rotated_at, loaded.revoked_at) == (None, T1)


def test_a_later_use_of_a_key_survives_the_undo_of_an_earlier_touch(
    storage: MongoStorage,
) -> None:
    key = b.api_key()
    in_uow(storage, lambda uow: uow.api_keys.add(key))
    other = twin(storage)

    def body(uow: MongoUnitOfWork) -> None:
        uow.api_keys.touch(key.id, T1)
        in_uow(other, lambda o: o.api_keys.touch(key.id, T2))

    uow = fail_after(storage, body)
    assert uow.work.unrestored == []  # superseded, not an error
    loaded = in_uow(storage, lambda u: u.api_keys.get_by_hash(key.key_hash))
    assert loaded is not None
    assert loaded.last_used_at == T2


def test_touching_or_revoking_a_missing_credential_changes_nothing(storage: MongoStorage) -> None:
    def work(uow: UnitOfWork) -> list[bool]:
        uow.api_keys.touch("missing", b.T0)
        uow.staff_credentials.touch("missing", b.T0)
        return [
            uow.api_keys.revoke("missing", b.T0),
            uow.staff_credentials.revoke("missing", b.T0),
            uow.one_time_tokens.use("missing", b.T0),
        ]

    assert in_uow(storage, work) == [False, False, False]
    assert storage.database.api_keys.count_documents({}) == 0
