"""Users, refresh sessions, one-time tokens and API keys in memory, and ``_ByHash``,
shared by every credential stored as a digest, and ``_Revocable`` for those revoked one at
a time (staff credentials use it too, see :mod:`.door`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import A, Unique, _Repo, _Versioned, by_creation
from tickex.domain.errors import Conflict
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, Role, User
from tickex.ports.repository import (
    ApiKeyRepository,
    OneTimeTokenRepository,
    RefreshSessionRepository,
    UserRepository,
)


class _Users(_Versioned[User], UserRepository):
    table = "users"
    # ``User`` lower-cases its email when built, so equal values are the clash.
    unique = (
        Unique(("email",), "this email is already registered", "email"),
        Unique(("google_subject",), "this Google account is already linked", "google_subject"),
    )

    def get_by_email(self, email: str) -> User | None:
        return self._get_by("email", email.strip().lower())

    def get_by_google_subject(self, subject: str) -> User | None:
        return self._get_by("google_subject", subject)

    def list_by_organizer(self, organizer_id: str) -> list[User]:
        return self._sorted(lambda u: u.organizer_id == organizer_id, by_creation)

    def list_admins(self) -> list[User]:
        return self._sorted(lambda u: u.has_role(Role.ADMIN), by_creation)


def _not_revoked(credential: Any) -> bool:
    return credential.revoked_at is None


class _ByHash(_Repo[A]):
    """Shared by the repositories of credentials stored as digests (``hash_field``): added
    once per digest, found by it."""

    hash_field = "token_hash"

    def add(self, obj: A) -> None:
        self._add_credential(obj)

    def get_by_hash(self, digest: str) -> A | None:
        return self._by_hash(digest)

    def _add_credential(self, obj: A) -> None:
        digest = getattr(obj, self.hash_field)
        taken = Conflict(f"{self.table}: this digest exists")
        self._add_unique(obj, lambda v: getattr(v, self.hash_field) == digest, taken)

    def _by_hash(self, digest: str) -> A | None:
        return self._get_by(self.hash_field, digest)

    def _revoke(self, key: str, now: datetime) -> bool:
        return self._update(key, _not_revoked, revoked_at=now)

    def _touch(self, key: str, now: datetime) -> None:
        """Unconditional (a missing key is ignored)."""
        self._update(key, lambda _: True, last_used_at=now)

    def _revoke_where(self, predicate: Callable[[Any], bool], now: datetime) -> int:
        targets = [v for v in self._uow.scan(self.table)
                   if predicate(v) and v.revoked_at is None]  # fmt: skip
        for v in targets:
            self._uow.write(self.table, v.id, replace(v, revoked_at=now))
        return len(targets)


class _Revocable(_ByHash[A]):
    """Credentials revoked one at a time and stamped when used (API keys, staff)."""

    def revoke(self, key: str, now: datetime) -> bool:
        return self._revoke(key, now)

    def touch(self, key: str, now: datetime) -> None:
        self._touch(key, now)


class _Sessions(_ByHash[RefreshSession], RefreshSessionRepository):
    table = "sessions"

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        return self._by_hash(token_hash)

    def rotate(self, session_id: str, now: datetime) -> bool:
        return self._update(
            session_id, lambda s: s.rotated_at is None and s.revoked_at is None, rotated_at=now
        )

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.family_id == family_id, now)

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.user_id == user_id, now)

    def revoked_families(self, since: datetime) -> dict[str, datetime]:
        latest: dict[str, datetime] = {}
        for s in self._uow.scan(self.table):
            if s.revoked_at is not None and s.revoked_at > since:
                latest[s.family_id] = max(s.revoked_at, latest.get(s.family_id, s.revoked_at))
        return latest


class _OneTimeTokens(_ByHash[OneTimeToken], OneTimeTokenRepository):
    table = "one_time_tokens"

    def use(self, token_id: str, now: datetime) -> bool:
        return self._update(token_id, lambda t: t.is_usable(now), used_at=now)


class _ApiKeys(_Revocable[ApiKey], ApiKeyRepository):
    table = "api_keys"
    hash_field = "key_hash"

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        return self._sorted(lambda k: k.organizer_id == organizer_id, by_creation)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "users": _Users,
    "sessions": _Sessions,
    "one_time_tokens": _OneTimeTokens,
    "api_keys": _ApiKeys,
}
