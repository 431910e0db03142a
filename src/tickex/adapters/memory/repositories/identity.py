"""Users, refresh sessions, one-time tokens and API keys in memory, and ``_ByHash``,
shared by every credential stored as a digest (staff credentials too, see :mod:`.door`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import A, _Repo, by_creation
from tickex.domain.errors import Conflict
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, User
from tickex.ports.repository import (
    ApiKeyRepository,
    OneTimeTokenRepository,
    RefreshSessionRepository,
    UserRepository,
)


class _Users(_Repo[User], UserRepository):
    table = "users"

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise Conflict("this email is already registered", field="email")
        subject = user.google_subject
        if subject is not None and self.get_by_google_subject(subject) is not None:
            raise Conflict("this Google account is already linked", field="google_subject")
        self._add(user)

    def get(self, user_id: str) -> User | None:
        return self._get(user_id)

    def get_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return self._first(lambda u: u.email == wanted)

    def get_by_google_subject(self, subject: str) -> User | None:
        return self._first(lambda u: u.google_subject == subject)

    def save(self, user: User) -> None:
        self._save_versioned(user)


def _not_revoked(credential: Any) -> bool:
    return credential.revoked_at is None


class _ByHash(_Repo[A]):
    """Shared by the repositories of credentials stored as digests."""

    hash_field = "token_hash"

    def _add_credential(self, obj: A) -> None:
        digest = getattr(obj, self.hash_field)
        taken = Conflict(f"{self.table}: this digest exists")
        self._add_unique(obj, lambda v: getattr(v, self.hash_field) == digest, taken)

    def _by_hash(self, digest: str) -> A | None:
        return self._first(lambda v: getattr(v, self.hash_field) == digest)

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


class _Sessions(_ByHash[RefreshSession], RefreshSessionRepository):
    table = "sessions"

    def add(self, session: RefreshSession) -> None:
        self._add_credential(session)

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


class _OneTimeTokens(_ByHash[OneTimeToken], OneTimeTokenRepository):
    table = "one_time_tokens"

    def add(self, token: OneTimeToken) -> None:
        self._add_credential(token)

    def get_by_hash(self, token_hash: str) -> OneTimeToken | None:
        return self._by_hash(token_hash)

    def use(self, token_id: str, now: datetime) -> bool:
        return self._update(token_id, lambda t: t.is_usable(now), used_at=now)


class _ApiKeys(_ByHash[ApiKey], ApiKeyRepository):
    table = "api_keys"
    hash_field = "key_hash"

    def add(self, key: ApiKey) -> None:
        self._add_credential(key)

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return self._by_hash(key_hash)

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        return self._sorted(lambda k: k.organizer_id == organizer_id, by_creation)

    def revoke(self, key_id: str, now: datetime) -> bool:
        return self._revoke(key_id, now)

    def touch(self, key_id: str, now: datetime) -> None:
        self._touch(key_id, now)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "users": _Users,
    "sessions": _Sessions,
    "one_time_tokens": _OneTimeTokens,
    "api_keys": _ApiKeys,
}
