"""Organizer API keys through ``TickEx.in_memory()``: issued with a non-empty set of scopes,
shown once and stored as a digest, listed without secrets, revoked at once, capped per
organizer, and ``last_used_at`` touched at most once a minute on the fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from tickex.adapters.memory.clock import FixedClock
from tickex.application.identity.authenticate_api_key import TOUCH_INTERVAL, AuthenticateApiKey
from tickex.application.identity.issue_api_key import (
    MAX_ACTIVE_API_KEYS,
    ApiKeyLimitReached,
    IssueApiKey,
    IssuedApiKey,
)
from tickex.application.identity.list_api_keys import ListApiKeys
from tickex.application.identity.revoke_api_key import RevokeApiKey
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.domain.errors import Conflict, NotFound
from tickex.domain.identity import ApiKey, ApiScope, Principal, Role
from tickex.facade import TickEx
from tickex.ports.identity import InvalidToken, SecretPurpose, SecretToken, secret_digest
from tickex.ports.unit_of_work import UnitOfWork
from tickex.testing import builders as b


@pytest.fixture
def app() -> TickEx:
    return TickEx.in_memory()


@pytest.fixture
def org(app: TickEx) -> str:
    return app.create_organizer(CreateOrganizer(name="Nightjar", email="hi@nightjar.example")).id


def clock(app: TickEx) -> FixedClock:
    assert isinstance(app.services.clock, FixedClock)
    return app.services.clock


def issue(app: TickEx, org: str, *scopes: str, name: str = "Box office sync") -> IssuedApiKey:
    return app.issue_api_key(
        IssueApiKey(organizer_id=org, name=name, scopes=scopes or ("events:read",))
    )


def who(app: TickEx, secret: str) -> Principal:
    return app.authenticate_api_key(AuthenticateApiKey(key=secret))


def stored(app: TickEx, org: str) -> list[ApiKey]:
    return app.services.read(lambda uow: uow.api_keys.list_by_organizer(org))


def test_the_secret_is_shown_once_and_only_its_digest_is_stored(app: TickEx, org: str) -> None:
    issued = issue(app, org, "events:read", "metrics:read")
    assert SecretToken.purpose_of(issued.secret) is SecretPurpose.API_KEY
    assert issued.secret not in repr(issued)
    [key] = stored(app, org)
    assert key.key_hash == secret_digest(issued.secret)
    assert key.prefix == issued.secret[: len("tkx_ak_") + 8]
    assert issued.secret not in repr(key)
    assert key.scopes == ("events:read", "metrics:read")
    assert (key.created_at, key.last_used_at, key.revoked_at) == (clock(app).now(), None, None)
    [listed] = app.list_api_keys(ListApiKeys(organizer_id=org))
    assert not hasattr(listed, "key_hash")
    assert not hasattr(listed, "secret")
    assert issued.secret not in repr(listed)
    assert key.key_hash not in repr(listed)
    assert (listed.id, listed.name, listed.prefix) == (key.id, "Box office sync", key.prefix)
    assert listed.scopes == (ApiScope.EVENTS_READ, ApiScope.METRICS_READ)


def test_two_keys_never_share_a_secret_or_a_prefix(app: TickEx, org: str) -> None:
    first, second = issue(app, org), issue(app, org)
    assert first.secret != second.secret
    assert first.key.prefix != second.key.prefix


@pytest.mark.parametrize(
    "scopes", [(), ("events:delete",), ("EVENTS:READ",), ("events:read", "admin")]
)
def test_a_key_needs_known_scopes_and_at_least_one(
    app: TickEx, org: str, scopes: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError):
        IssueApiKey(organizer_id=org, name="Sync", scopes=scopes)
    assert stored(app, org) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_the_name_is_bounded(org: str, name: str) -> None:
    with pytest.raises(ValidationError):
        IssueApiKey(organizer_id=org, name=name, scopes={ApiScope.EVENTS_READ})


def test_an_unknown_organizer_gets_no_key(app: TickEx) -> None:
    with pytest.raises(NotFound):
        issue(app, "org-unknown")


def test_a_key_acts_for_its_organizer_within_its_scopes_and_for_no_user(
    app: TickEx, org: str
) -> None:
    issued = issue(app, org, "events:read", "orders:refund")
    principal = who(app, issued.secret)
    assert principal == Principal(
        user_id=None, roles=frozenset({Role.ORGANIZER}), organizer_id=org,
        scopes=frozenset({ApiScope.EVENTS_READ, ApiScope.ORDERS_REFUND}),
        api_key_id=issued.key.id,
    )  # fmt: skip
    assert principal.allows(ApiScope.EVENTS_READ)
    assert not principal.allows(ApiScope.EVENTS_WRITE)
    assert Principal(user_id="u-1", roles=frozenset({Role.ORGANIZER})).allows(
        ApiScope.EVENTS_WRITE
    )  # a user's own token: not limited by scopes


def test_a_scope_this_version_does_not_know_grants_nothing(app: TickEx, org: str) -> None:
    secret = SecretToken.generate(SecretPurpose.API_KEY)
    key = b.api_key(organizer_id=org, key_hash=secret.digest, scopes=("events:read", "all"))
    app.services.transaction(lambda uow: uow.api_keys.add(key))
    assert who(app, secret.value).scopes == frozenset({ApiScope.EVENTS_READ})


def test_unknown_malformed_and_other_kinds_of_secret_are_invalid_tokens(
    app: TickEx, org: str
) -> None:
    issued = issue(app, org)
    staff = SecretToken.generate(SecretPurpose.STAFF_CREDENTIAL).value
    unknown = SecretToken.generate(SecretPurpose.API_KEY).value
    for presented in (unknown, staff, "tkx_ak_short", "not a key", issued.secret + "x"):
        with pytest.raises(InvalidToken):
            who(app, presented)
    assert stored(app, org)[0].last_used_at is None


def test_a_key_whose_organizer_is_gone_is_refused(app: TickEx) -> None:
    secret = SecretToken.generate(SecretPurpose.API_KEY)
    key = b.api_key(organizer_id="org-gone", key_hash=secret.digest, scopes=("events:read",))
    app.services.transaction(lambda uow: uow.api_keys.add(key))
    with pytest.raises(InvalidToken) as refused:
        who(app, secret.value)
    assert refused.value.reason == "ended"


def test_a_key_stops_working_once_no_account_acting_for_its_organizer_is_active(
    app: TickEx, org: str
) -> None:
    issued = issue(app, org)
    assert who(app, issued.secret).organizer_id == org  # no account acts for it: a library's
    owner = b.user(roles=frozenset({Role.ORGANIZER}), organizer_id=org)
    partner = b.user(roles=frozenset({Role.ORGANIZER}), organizer_id=org)
    app.services.transaction(lambda uow: [uow.users.add(u) for u in (owner, partner)])
    for user in (owner, partner):
        assert who(app, issued.secret).organizer_id == org  # one of them is still active
        app.services.transaction(lambda uow, u=user: _disable(uow, u.id, clock(app).now()))
    with pytest.raises(InvalidToken) as refused:
        who(app, issued.secret)
    assert (refused.value.code, refused.value.reason) == ("invalid_token", "disabled")
    assert issued.secret not in str(refused.value)


def _disable(uow: UnitOfWork, user_id: str, now: datetime) -> None:
    user = uow.users.get(user_id)
    assert user is not None
    user.disable(now)
    uow.users.save(user)


def test_a_revoked_key_stops_working_and_revoking_twice_is_harmless(app: TickEx, org: str) -> None:
    issued = issue(app, org)
    who(app, issued.secret)
    revoked = app.revoke_api_key(RevokeApiKey(organizer_id=org, key_id=issued.key.id))
    assert revoked.revoked_at == clock(app).now()
    assert not revoked.is_active
    with pytest.raises(InvalidToken):
        who(app, issued.secret)
    clock(app).advance(timedelta(hours=1))
    again = app.revoke_api_key(RevokeApiKey(organizer_id=org, key_id=issued.key.id))
    assert again.revoked_at == revoked.revoked_at  # the first revocation stands
    [listed] = app.list_api_keys(ListApiKeys(organizer_id=org))
    assert listed.revoked_at == revoked.revoked_at


def test_another_organizers_key_is_an_unknown_key(app: TickEx, org: str) -> None:
    rival = app.create_organizer(CreateOrganizer(name="Rival", email="r@rival.example")).id
    issued = issue(app, org)
    for key_id in (issued.key.id, "key-unknown"):
        with pytest.raises(NotFound) as refused:
            app.revoke_api_key(RevokeApiKey(organizer_id=rival, key_id=key_id))
        assert refused.value.detail == "API key not found"
    assert app.list_api_keys(ListApiKeys(organizer_id=rival)) == ()
    assert stored(app, org)[0].is_active
    who(app, issued.secret)


def test_last_used_is_touched_at_most_once_a_minute(app: TickEx, org: str) -> None:
    issued = issue(app, org)
    first_use = clock(app).advance(timedelta(minutes=5))
    who(app, issued.secret)
    assert stored(app, org)[0].last_used_at == first_use
    clock(app).advance(TOUCH_INTERVAL - timedelta(seconds=1))
    who(app, issued.secret)
    who(app, issued.secret)
    assert stored(app, org)[0].last_used_at == first_use  # a busy key writes nothing
    later = clock(app).advance(timedelta(seconds=1))
    who(app, issued.secret)
    assert stored(app, org)[0].last_used_at == later
    [listed] = app.list_api_keys(ListApiKeys(organizer_id=org))
    assert listed.last_used_at == later


def test_an_organizer_holds_a_bounded_number_of_active_keys(app: TickEx, org: str) -> None:
    keys = [issue(app, org, name=f"Key {n}") for n in range(MAX_ACTIVE_API_KEYS)]
    with pytest.raises(ApiKeyLimitReached) as refused:
        issue(app, org, name="One too many")
    assert isinstance(refused.value, Conflict)
    assert refused.value.code == "conflict"
    assert str(MAX_ACTIVE_API_KEYS) in refused.value.detail
    assert len(stored(app, org)) == MAX_ACTIVE_API_KEYS
    app.revoke_api_key(RevokeApiKey(organizer_id=org, key_id=keys[0].key.id))
    issue(app, org, name="In its place")  # revoked keys do not count
    rival = app.create_organizer(CreateOrganizer(name="Rival", email="r@rival.example")).id
    issue(app, rival)  # the cap is per organizer
