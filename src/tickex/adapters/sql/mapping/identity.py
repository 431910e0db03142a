"""Identity rows: users (roles as text), refresh sessions, one-time tokens, API keys."""

from __future__ import annotations

from typing import Any

from tickex.adapters.sql import schema as s
from tickex.adapters.sql.mapping.common import (
    AnyRow,
    from_row,
    plain_object,
    plain_row,
    roles,
    roles_text,
    to_row,
)
from tickex.domain.identity import (
    ApiKey,
    OneTimeToken,
    RefreshSession,
    User,
)


def user_row(u: User) -> dict[str, Any]:
    email = u.email.strip().lower()  # already so when built through User
    return to_row(s.users, u, email=email, roles=roles_text(u.roles))


def user_from_row(r: AnyRow) -> User:
    return from_row(User, r, roles=roles(r.roles))


session_row = plain_row(s.refresh_sessions)
session_from_row = plain_object(RefreshSession)
one_time_token_row = plain_row(s.one_time_tokens)
one_time_token_from_row = plain_object(OneTimeToken)
api_key_row = plain_row(s.api_keys)
api_key_from_row = plain_object(ApiKey)
