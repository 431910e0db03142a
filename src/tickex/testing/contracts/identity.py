"""The identity storage contract: users, refresh sessions, one-time tokens, API keys,
staff credentials and organizer requests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tickex.domain.errors import ConcurrencyConflict, Conflict
from tickex.domain.identity import Role, UserStatus
from tickex.domain.organizer_request import OrganizerRequestStatus
from tickex.ports.unit_of_work import Storage
from tickex.testing import builders as b
from tickex.testing.contracts.support import StorageFixture, in_uow, race, stored, two_copies


class IdentityStorageContract(StorageFixture):
    """The identity repositories (users, refresh sessions, one-time tokens, API keys, staff
    credentials, organizer requests). Provide the same ``storage`` fixture as for
    :class:`StorageContract`."""

    def test_user_round_trip_and_lookups(self, storage: Storage) -> None:
        user = b.user(email="Ana@Example.com", google_subject="g-123", name="Ana Lúcia",
                      password_hash="$argon2id$v=19$m=65536,t=3,p=4$abc$def",
                      roles=frozenset({Role.CUSTOMER, Role.ORGANIZER}), organizer_id="org-1",
                      sessions_valid_after=b.T0)  # fmt: skip
        in_uow(storage, lambda uow: uow.users.add(user))
        assert user.email == "ana@example.com"
        assert in_uow(storage, lambda uow: uow.users.get(user.id)) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_email("ANA@example.com")) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_google_subject("g-123")) == user
        assert in_uow(storage, lambda uow: uow.users.get_by_email("nobody@example.com")) is None
        assert in_uow(storage, lambda uow: uow.users.get_by_google_subject("g-999")) is None

    def test_user_email_and_google_subject_are_unique(self, storage: Storage) -> None:
        in_uow(storage, lambda uow: uow.users.add(b.user(email="a@example.com",
                                                          google_subject="g-1")))  # fmt: skip
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.users.add(b.user(email="A@EXAMPLE.COM")))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.users.add(b.user(google_subject="g-1")))
        in_uow(storage, lambda uow: uow.users.add(b.user(email="b@example.com")))
        in_uow(storage, lambda uow: uow.users.add(b.user(email="c@example.com")))  # no subject

    def test_user_saves_are_versioned(self, storage: Storage) -> None:
        user = b.user()
        first, stale = two_copies(
            storage, lambda uow: uow.users.add(user), lambda uow: uow.users.get(user.id)
        )
        first.disable(b.T0)
        in_uow(storage, lambda uow: uow.users.save(first))
        stale.verify_email()
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.users.save(stale))
        loaded = stored(storage, lambda uow: uow.users.get(user.id))
        assert (loaded.status, loaded.sessions_valid_after, loaded.version) == (
            UserStatus.DISABLED, b.T0, user.version + 1
        )  # fmt: skip

    def test_users_are_listed_by_organizer_and_admins_found_by_role(self, storage: Storage) -> None:
        admin, organizer = frozenset({Role.ADMIN}), frozenset({Role.ORGANIZER})
        later = b.user(organizer_id="o1", roles=organizer, created_at=b.T0 + timedelta(hours=1))
        first = b.user(organizer_id="o1", roles=organizer, status=UserStatus.DISABLED)
        boss = b.user(roles=admin | organizer, organizer_id="o2")
        old_boss = b.user(roles=admin, status=UserStatus.DISABLED,
                          created_at=b.T0 - timedelta(days=1))  # fmt: skip
        plain = b.user()
        in_uow(storage, lambda uow: [uow.users.add(u) for u in (later, first, boss, old_boss,
                                                                 plain)])  # fmt: skip
        assert in_uow(storage, lambda uow: uow.users.list_by_organizer("o1")) == [first, later]
        assert in_uow(storage, lambda uow: uow.users.list_by_organizer("o2")) == [boss]
        assert in_uow(storage, lambda uow: uow.users.list_by_organizer("none")) == []
        assert in_uow(storage, lambda uow: uow.users.list_admins()) == [old_boss, boss]

    def test_a_refresh_session_rotates_exactly_once(self, storage: Storage) -> None:
        session = b.refresh_session(token_hash="h-1")
        in_uow(storage, lambda uow: uow.sessions.add(session))
        assert in_uow(storage, lambda uow: uow.sessions.get_by_token_hash("h-1")) == session
        assert in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.sessions.rotate("missing", b.T0))
        loaded = stored(storage, lambda uow: uow.sessions.get_by_token_hash("h-1"))
        assert loaded.rotated_at == b.T0
        assert not loaded.is_usable(b.T0)
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.sessions.add(b.refresh_session(token_hash="h-1")))

    def test_sessions_are_revoked_by_family_and_by_user(self, storage: Storage) -> None:
        a1 = b.refresh_session(user_id="u1", family_id="f1")
        a2 = b.refresh_session(user_id="u1", family_id="f1")
        a3 = b.refresh_session(user_id="u1", family_id="f2")
        other = b.refresh_session(user_id="u2", family_id="f3")
        in_uow(storage, lambda uow: [uow.sessions.add(s) for s in (a1, a2, a3, other)])
        assert in_uow(storage, lambda uow: uow.sessions.revoke_family("f1", b.T0)) == 2
        assert in_uow(storage, lambda uow: uow.sessions.revoke_family("f1", b.T0)) == 0
        assert not in_uow(storage, lambda uow: uow.sessions.rotate(a1.id, b.T0))
        assert in_uow(storage, lambda uow: uow.sessions.revoke_user("u1", b.T0)) == 1
        untouched = stored(storage, lambda uow: uow.sessions.get_by_token_hash(other.token_hash))
        assert untouched.revoked_at is None

    def test_revoked_families_are_those_revoked_after_the_given_instant(
        self, storage: Storage
    ) -> None:
        """What every worker's set of revoked sessions is refreshed from: each family with a
        session revoked after ``since``, at its latest revocation (to the microsecond)."""
        old = b.refresh_session(user_id="u1", family_id="f-old")
        a1 = b.refresh_session(user_id="u1", family_id="f-a")
        a2 = b.refresh_session(user_id="u1", family_id="f-a")
        user = b.refresh_session(user_id="u2", family_id="f-u")
        live = b.refresh_session(user_id="u3", family_id="f-live")
        in_uow(storage, lambda uow: [uow.sessions.add(s) for s in (old, a1, a2, user, live)])
        assert in_uow(storage, lambda uow: uow.sessions.revoked_families(b.T0)) == {}
        t1, t2 = b.T0 + timedelta(microseconds=1), b.T0 + timedelta(seconds=5, microseconds=7)
        in_uow(storage, lambda uow: uow.sessions.revoke_family("f-old", b.T0))
        in_uow(storage, lambda uow: uow.sessions.revoke_family("f-a", t1))
        in_uow(storage, lambda uow: uow.sessions.revoke_user("u2", t2))
        expected = {"f-a": t1, "f-u": t2}
        assert in_uow(storage, lambda uow: uow.sessions.revoked_families(b.T0)) == expected
        assert in_uow(storage, lambda uow: uow.sessions.revoked_families(t1)) == {"f-u": t2}
        assert in_uow(storage, lambda uow: uow.sessions.revoked_families(t2)) == {}

    def test_a_one_time_token_is_used_once_and_only_before_it_expires(
        self, storage: Storage
    ) -> None:
        token = b.one_time_token(expires_at=b.T0 + timedelta(hours=1))
        late = b.one_time_token(expires_at=b.T0)
        in_uow(storage, lambda uow: [uow.one_time_tokens.add(t) for t in (token, late)])
        found = in_uow(storage, lambda uow: uow.one_time_tokens.get_by_hash(token.token_hash))
        assert found == token
        assert not in_uow(storage, lambda uow: uow.one_time_tokens.use(late.id, b.T0))
        assert in_uow(storage, lambda uow: uow.one_time_tokens.use(token.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.one_time_tokens.use(token.id, b.T0))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.one_time_tokens.add(
                b.one_time_token(token_hash=token.token_hash)))  # fmt: skip

    def test_api_keys_are_listed_touched_and_revoked_once(self, storage: Storage) -> None:
        later = b.api_key(organizer_id="o1", created_at=b.T0 + timedelta(minutes=1),
                          scopes=("events:read", "orders:write"))  # fmt: skip
        first = b.api_key(organizer_id="o1")
        other = b.api_key(organizer_id="o2")
        in_uow(storage, lambda uow: [uow.api_keys.add(k) for k in (later, first, other)])
        listed = in_uow(storage, lambda uow: uow.api_keys.list_by_organizer("o1"))
        assert listed == [first, later]
        in_uow(storage, lambda uow: uow.api_keys.touch(first.id, b.T0 + timedelta(hours=2)))
        assert in_uow(storage, lambda uow: uow.api_keys.revoke(first.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.api_keys.revoke(first.id, b.T0))
        loaded = stored(storage, lambda uow: uow.api_keys.get_by_hash(first.key_hash))
        assert (loaded.last_used_at, loaded.revoked_at) == (b.T0 + timedelta(hours=2), b.T0)
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.api_keys.add(b.api_key(key_hash=later.key_hash)))

    def test_staff_credentials_are_listed_touched_and_revoked_once(self, storage: Storage) -> None:
        later = b.staff_credential(event_id="e1", created_at=b.T0 + timedelta(minutes=1))
        first = b.staff_credential(event_id="e1")
        other = b.staff_credential(event_id="e2")
        in_uow(storage, lambda uow: [uow.staff_credentials.add(c) for c in (later, first, other)])
        assert in_uow(storage, lambda uow: uow.staff_credentials.list_by_event("e1")) == [
            first, later
        ]  # fmt: skip
        in_uow(storage, lambda uow: uow.staff_credentials.touch(first.id, b.T0))
        assert in_uow(storage, lambda uow: uow.staff_credentials.revoke(first.id, b.T0))
        assert not in_uow(storage, lambda uow: uow.staff_credentials.revoke(first.id, b.T0))
        loaded = stored(storage, lambda uow: uow.staff_credentials.get_by_hash(first.token_hash))
        assert (loaded.last_used_at, loaded.revoked_at, loaded.is_active) == (b.T0, b.T0, False)

    def test_a_staff_credential_is_found_by_id(self, storage: Storage) -> None:
        credential = b.staff_credential(event_id="e1", label="South gate")
        in_uow(storage, lambda uow: uow.staff_credentials.add(credential))
        assert in_uow(storage, lambda uow: uow.staff_credentials.get(credential.id)) == credential
        assert in_uow(storage, lambda uow: uow.staff_credentials.get("missing")) is None
        in_uow(storage, lambda uow: uow.staff_credentials.revoke(credential.id, b.T0))
        loaded = stored(storage, lambda uow: uow.staff_credentials.get(credential.id))
        assert (loaded.revoked_at, loaded.is_active) == (b.T0, False)

    def test_organizer_request_round_trip_and_lookups(self, storage: Storage) -> None:
        first = b.organizer_request(user_id="u1", note="We run jazz nights by the river.")
        in_uow(storage, lambda uow: uow.organizer_requests.add(first))
        assert in_uow(storage, lambda uow: uow.organizer_requests.get(first.id)) == first
        assert in_uow(storage, lambda uow: uow.organizer_requests.get("missing")) is None
        first.reject("admin-1", "Tell us more about your events.", b.T0 + timedelta(hours=1))
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        second = b.organizer_request(user_id="u1", created_at=b.T0 + timedelta(days=1))
        in_uow(storage, lambda uow: uow.organizer_requests.add(second))
        second.approve("admin-2", "org-9", b.T0 + timedelta(days=2, microseconds=7))
        in_uow(storage, lambda uow: uow.organizer_requests.save(second))
        listed = in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("u1"))
        assert listed == [second, first]  # newest first, every field kept
        assert (listed[0].status, listed[0].organizer_id, listed[0].decided_by) == (
            OrganizerRequestStatus.APPROVED, "org-9", "admin-2"
        )  # fmt: skip
        assert listed[1].reason == "Tell us more about your events."
        assert in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("u2")) == []

    def test_organizer_requests_listed_by_status_oldest_first_with_limit_and_offset(
        self, storage: Storage
    ) -> None:
        pending = [b.organizer_request(created_at=b.T0 + timedelta(minutes=n)) for n in (3, 1, 2)]
        decided = b.organizer_request()
        decided.reject("admin-1", "no", b.T0)
        in_uow(storage, lambda uow: [uow.organizer_requests.add(r) for r in (*pending, decided)])

        def page(status: OrganizerRequestStatus, limit: int, offset: int) -> list[str]:
            found = in_uow(storage, lambda uow: uow.organizer_requests.list_by_status(
                status, limit, offset))  # fmt: skip
            return [r.id for r in found]

        oldest_first = [r.id for r in sorted(pending, key=lambda r: r.created_at)]
        assert page(OrganizerRequestStatus.PENDING, 10, 0) == oldest_first
        assert page(OrganizerRequestStatus.PENDING, 2, 0) == oldest_first[:2]
        assert page(OrganizerRequestStatus.PENDING, 2, 2) == oldest_first[2:]
        assert page(OrganizerRequestStatus.PENDING, 0, 0) == []
        assert page(OrganizerRequestStatus.PENDING, 5, 3) == []
        assert page(OrganizerRequestStatus.REJECTED, 10, 0) == [decided.id]
        assert page(OrganizerRequestStatus.APPROVED, 10, 0) == []

    def test_a_second_pending_organizer_request_of_a_user_is_refused(
        self, storage: Storage
    ) -> None:
        first = b.organizer_request(user_id="u1")
        in_uow(storage, lambda uow: uow.organizer_requests.add(first))
        with pytest.raises(Conflict):
            in_uow(storage, lambda uow: uow.organizer_requests.add(
                b.organizer_request(user_id="u1")))  # fmt: skip
        with pytest.raises(Conflict):  # the same id again
            in_uow(storage, lambda uow: uow.organizer_requests.add(
                b.organizer_request(id=first.id, user_id="u2")))  # fmt: skip
        in_uow(storage, lambda uow: uow.organizer_requests.add(b.organizer_request(user_id="u2")))
        first.reject("admin-1", "not yet", b.T0)
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        again = b.organizer_request(user_id="u1")  # decided requests do not count
        in_uow(storage, lambda uow: uow.organizer_requests.add(again))
        assert [r.id for r in in_uow(storage, lambda uow: uow.organizer_requests.list_by_user(
            "u1"))] == sorted([again.id, first.id], reverse=True)  # fmt: skip

    def test_organizer_request_saves_are_versioned(self, storage: Storage) -> None:
        request = b.organizer_request()
        first, stale = two_copies(
            storage,
            lambda uow: uow.organizer_requests.add(request),
            lambda uow: uow.organizer_requests.get(request.id),
        )
        first.approve("admin-1", "org-1", b.T0)
        in_uow(storage, lambda uow: uow.organizer_requests.save(first))
        assert first.version == request.version + 1
        stale.reject("admin-2", "too late", b.T0)
        with pytest.raises(ConcurrencyConflict):
            in_uow(storage, lambda uow: uow.organizer_requests.save(stale))
        with pytest.raises(ConcurrencyConflict):  # never added
            in_uow(storage, lambda uow: uow.organizer_requests.save(b.organizer_request()))
        loaded = stored(storage, lambda uow: uow.organizer_requests.get(request.id))
        assert (loaded.status, loaded.decided_by, loaded.version) == (
            OrganizerRequestStatus.APPROVED, "admin-1", request.version + 1
        )  # fmt: skip

    def test_concurrent_requests_of_one_user_let_exactly_one_in(self, storage: Storage) -> None:
        self.skip_without_concurrency()
        requests = [b.organizer_request(user_id="racer") for _ in range(6)]

        def ask(n: int) -> str:
            try:
                in_uow(storage, lambda uow: uow.organizer_requests.add(requests[n]))
            except (Conflict, ConcurrencyConflict):
                return "refused"
            return "in"

        assert sorted(race(6, ask)) == ["in"] + ["refused"] * 5
        assert len(in_uow(storage, lambda uow: uow.organizer_requests.list_by_user("racer"))) == 1

    def test_concurrent_refreshes_of_one_session_let_exactly_one_rotate(
        self, storage: Storage
    ) -> None:
        self.skip_without_concurrency()
        session = b.refresh_session()
        in_uow(storage, lambda uow: uow.sessions.add(session))

        def refresh(_: int) -> bool:
            return in_uow(storage, lambda uow: uow.sessions.rotate(session.id, b.T0))

        assert sorted(race(8, refresh)) == [False] * 7 + [True]
