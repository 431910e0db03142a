"""Users, refresh sessions, one-time tokens and API keys in memory, and ``_ByHash``,
shared by every credential stored as a digest (staff credentials too, see :mod:`.door`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from tickex.adapters.memory.repositories.base import _Repo
from tickex.domain.errors import Conflict
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, User
from tickex.ports.repository import (
    ApiKeyRepository,
    OneTimeTokenRepository,
    RefreshSessionRepository,
    UserRepository,
)


class _Users(_Repo, UserRepository):
    table = "users"

    def add(self, user: User) -> None:
        if self.get_by_email(user.email) is not None:
            raise Conflict("this email is already registered", field="email")
        subject = user.google_subject
        if subject is not None and self.get_by_google_subject(subject) is not None:
            raise Conflict("this Google account is already linked", field="google_subject")
        self._insert(user.id, user)

    def get(self, user_id: str) -> User | None:
        return self._get(user_id)  # type: ignore[no-any-return]

    def get_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        found = self._find(lambda u: u.email == wanted)
        return found[0] if found else None

    def get_by_google_subject(self, subject: str) -> User | None:
        found = self._find(lambda u: u.google_subject == subject)
        return found[0] if found else None

    def save(self, user: User) -> None:
        self._save_versioned(user)


class _ByHash(_Repo):
    """Shared by the repositories of credentials stored as digests."""

    hash_field = "token_hash"

    def _insert_unique_hash(self, obj: Any) -> None:
        digest = getattr(obj, self.hash_field)
        if any(getattr(v, self.hash_field) == digest for v in self._uow.scan(self.table)):
            raise Conflict(f"{self.table}: this digest exists")
        self._insert(obj.id, obj)

    def _by_hash(self, digest: str) -> Any:
        found = self._find(lambda v: getattr(v, self.hash_field) == digest)
        return found[0] if found else None

    def _update(self, key: str, condition: Callable[[Any], bool], **changes: Any) -> bool:
        stored = self._uow.read(self.table, key)
        if stored is None or not condition(stored):
            return False
        self._uow.write(self.table, key, replace(stored, **changes))
        return True

    def _revoke_where(self, predicate: Callable[[Any], bool], now: datetime) -> int:
        targets = [v for v in self._uow.scan(self.table)
                   if predicate(v) and v.revoked_at is None]  # fmt: skip
        for v in targets:
            self._uow.write(self.table, v.id, replace(v, revoked_at=now))
        return len(targets)


class _Sessions(_ByHash, RefreshSessionRepository):
    table = "sessions"

    def add(self, session: RefreshSession) -> None:
        self._insert_unique_hash(session)

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def rotate(self, session_id: str, now: datetime) -> bool:
        return self._update(
            session_id, lambda s: s.rotated_at is None and s.revoked_at is None, rotated_at=now
        )

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.family_id == family_id, now)

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke_where(lambda s: s.user_id == user_id, now)


class _OneTimeTokens(_ByHash, OneTimeTokenRepository):
    table = "one_time_tokens"

    def add(self, token: OneTimeToken) -> None:
        self._insert_unique_hash(token)

    def get_by_hash(self, token_hash: str) -> OneTimeToken | None:
        return self._by_hash(token_hash)  # type: ignore[no-any-return]

    def use(self, token_id: str, now: datetime) -> bool:
        return self._update(token_id, lambda t: t.is_usable(now), used_at=now)


class _ApiKeys(_ByHash, ApiKeyRepository):
    table = "api_keys"
    hash_field = "key_hash"

    def add(self, key: ApiKey) -> None:
        self._insert_unique_hash(key)

    def get_by_hash(self, key_hash: str) -> ApiKey | None:
        return self._by_hash(key_hash)  # type: ignore[no-any-return]

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        found = self._find(lambda k: k.organizer_id == organizer_id)
        return sorted(found, key=lambda k: (k.created_at, k.id))

    def revoke(self, key_id: str, now: datetime) -> bool:
        return self._update(key_id, lambda k: k.revoked_at is None, revoked_at=now)

    def touch(self, key_id: str, now: datetime) -> None:
        self._update(key_id, lambda _: True, last_used_at=now)


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo]] = {
    "users": _Users,
    "sessions": _Sessions,
    "one_time_tokens": _OneTimeTokens,
    "api_keys": _ApiKeys,
}
