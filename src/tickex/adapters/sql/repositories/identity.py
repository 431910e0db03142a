"""Identity repositories: users, refresh sessions, one-time tokens, API keys, and the
``Credentials`` base of every credential stored as a digest, and ``Revocable`` for those
revoked one at a time (staff credentials use both too, from ``door``).

Using or revoking a credential is one conditional UPDATE (a stamp, see
``SqlRepository._stamp``): of two racing callers the second finds the condition false.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping import identity as mapping
from tickex.adapters.sql.repositories.base import Insertable, T, Unique, Versioned
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, Role, User
from tickex.ports.repository import (
    ApiKeyRepository,
    OneTimeTokenRepository,
    RefreshSessionRepository,
    UserRepository,
)

DIGEST_TAKEN = "{table}: this digest exists"

_sessions = s.refresh_sessions.c
_REVOKED_FAMILIES = (
    select(_sessions.family_id, func.max(_sessions.revoked_at))
    .where(_sessions.revoked_at > bindparam("b_since"))
    .group_by(_sessions.family_id)
)


class Users(Versioned[User], UserRepository):
    table = s.users
    load = mapping.user_from_row
    dump = mapping.user_row
    unique = (
        Unique(("email",), "this email is already registered", "email"),
        Unique(("google_subject",), "this Google account is already linked", "google_subject"),
    )

    def get_by_email(self, email: str) -> User | None:
        """Python's ``str.lower()`` on both sides (SQL ``lower()`` differs between engines
        for non-ASCII text): the column holds the lower-cased email."""
        return self._get_by("email", email.strip().lower())

    def get_by_google_subject(self, subject: str) -> User | None:
        return self._get_by("google_subject", subject)

    def list_by_organizer(self, organizer_id: str) -> list[User]:
        return self._list_by("organizer_id", organizer_id, order_by=("created_at", "id"))

    def list_admins(self) -> list[User]:
        """The roles column is text (sorted, comma-separated): ``LIKE`` narrows the scan
        and the parsed roles decide (no role's value is part of another's)."""
        t = self.table
        named = t.c.roles.like(f"%{Role.ADMIN.value}%")
        rows = self._list(named, order_by=(t.c.created_at, t.c.id))
        return [user for user in rows if user.has_role(Role.ADMIN)]


class Credentials(Insertable[T]):
    """Shared by the repositories of credentials stored as digests."""

    hash_column = "token_hash"
    unique = (Unique((hash_column,), DIGEST_TAKEN),)

    def get_by_hash(self, digest: str) -> T | None:
        return self._get_by(self.hash_column, digest)

    def _oldest_first(self, column: str, value: str) -> list[T]:
        return self._list_by(column, value, order_by=("created_at", "id"))

    def _revoke(self, key: str, now: datetime, by: str = "id") -> int:
        """Stamp ``revoked_at`` on the rows not revoked yet; how many there were."""
        return self._stamp("revoked_at", key, now, by=by, unless_set=("revoked_at",))


class Revocable(Credentials[T]):
    """Credentials revoked one at a time and stamped when used (API keys, staff)."""

    def revoke(self, key: str, now: datetime) -> bool:
        return self._revoke(key, now) == 1

    def touch(self, key: str, now: datetime) -> None:
        self._stamp("last_used_at", key, now)


class Sessions(Credentials[RefreshSession], RefreshSessionRepository):
    table = s.refresh_sessions
    load = mapping.session_from_row
    dump = mapping.session_row

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        return self.get_by_hash(token_hash)

    def rotate(self, session_id: str, now: datetime) -> bool:
        """``UPDATE ... SET rotated_at = :now WHERE id = :id AND rotated_at IS NULL AND
        revoked_at IS NULL``: of two racing refreshes, the second waits for the first's row
        lock, re-evaluates the condition and changes nothing."""
        unless: Sequence[str] = ("rotated_at", "revoked_at")
        return self._stamp("rotated_at", session_id, now, unless_set=unless) == 1

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke(family_id, now, by="family_id")

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke(user_id, now, by="user_id")

    def revoked_families(self, since: datetime) -> dict[str, datetime]:
        """``SELECT family_id, max(revoked_at) ... WHERE revoked_at > :since GROUP BY
        family_id``, on the ``revoked_at`` index: a few rows, read every second or so."""
        return {family: at for family, at in self._uow.read(_REVOKED_FAMILIES, {"b_since": since})}


class OneTimeTokens(Credentials[OneTimeToken], OneTimeTokenRepository):
    table = s.one_time_tokens
    load = mapping.one_time_token_from_row
    dump = mapping.one_time_token_row

    def use(self, token_id: str, now: datetime) -> bool:
        """``... SET used_at = :now WHERE id = :id AND used_at IS NULL AND expires_at > :now``."""
        changed = self._stamp(
            "used_at", token_id, now, unless_set=("used_at",), before="expires_at"
        )
        return changed == 1


class ApiKeys(Revocable[ApiKey], ApiKeyRepository):
    table = s.api_keys
    load = mapping.api_key_from_row
    dump = mapping.api_key_row
    hash_column = "key_hash"
    unique = (Unique((hash_column,), DIGEST_TAKEN),)

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        return self._oldest_first("organizer_id", organizer_id)
