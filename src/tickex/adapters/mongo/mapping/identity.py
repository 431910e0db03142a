"""Users, refresh sessions, one-time tokens and API keys <-> documents.

Digests, emails and Google subjects are unique-indexed lookup keys: they go through
:func:`~.common.text` on the way in, as every filter value does on the way to a query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    fields,
    lookup_keys,
    new_document,
    optional_text,
    read,
    text,
    with_times,
)
from tickex.domain.identity import (
    ApiKey,
    OneTimeToken,
    RefreshSession,
    Role,
    TokenPurpose,
    User,
    UserStatus,
)


def user_doc(u: User) -> Document:
    doc = new_document(u.id) | {
        "email": text(u.email, "email"),  # lower-cased by the domain
        "name": u.name,
        "roles": sorted(Role(r).value for r in u.roles),
        "password_hash": u.password_hash,
        "email_verified": u.email_verified,
        # unique where set: the partial index covers strings only, so None never collides
        "google_subject": optional_text(u.google_subject, "google_subject"),
        "organizer_id": u.organizer_id,
        "status": UserStatus(u.status).value,
        "version": u.version,
    }
    return with_times(doc, u, "created_at", "sessions_valid_after")


def user(doc: Mapping[str, Any]) -> User:
    return User(
        **read(
            doc,
            *("email", "name", "email_verified", "version"),
            optional=("password_hash", "google_subject", "organizer_id"),
            times=("created_at",),
            optional_times=("sessions_valid_after",),
        ),
        roles=frozenset(Role(r) for r in doc["roles"]),
        status=UserStatus(doc["status"]),
    )


def refresh_session_doc(s: RefreshSession) -> Document:
    doc = new_document(s.id) | lookup_keys(s, "user_id", "family_id", "token_hash")
    return with_times(doc, s, "created_at", "expires_at", "rotated_at", "revoked_at")


def refresh_session(doc: Mapping[str, Any]) -> RefreshSession:
    return RefreshSession(
        **read(
            doc,
            *("user_id", "family_id", "token_hash"),
            times=("created_at", "expires_at"),
            optional_times=("rotated_at", "revoked_at"),
        )
    )


def one_time_token_doc(t: OneTimeToken) -> Document:
    doc = new_document(t.id) | {
        "user_id": t.user_id,
        "purpose": TokenPurpose(t.purpose).value,
        "token_hash": text(t.token_hash, "token_hash"),
    }
    return with_times(doc, t, "created_at", "expires_at", "used_at")


def one_time_token(doc: Mapping[str, Any]) -> OneTimeToken:
    return OneTimeToken(
        **read(
            doc,
            *("user_id", "token_hash"),
            times=("created_at", "expires_at"),
            optional_times=("used_at",),
        ),
        purpose=TokenPurpose(doc["purpose"]),
    )


def with_credential_times(doc: Document, c: object) -> Document:
    """``doc`` with the times of a revocable credential (an API key, a staff credential)."""
    return with_times(doc, c, "created_at", "last_used_at", "revoked_at")


def read_credential(doc: Mapping[str, Any], *names: str) -> Document:
    """A revocable credential's constructor arguments: ``names`` and its times."""
    return read(doc, *names, times=("created_at",), optional_times=("last_used_at", "revoked_at"))


def api_key_doc(k: ApiKey) -> Document:
    doc = (
        new_document(k.id)
        | fields(k, "name", "prefix")
        | lookup_keys(k, "organizer_id", "key_hash")
        | {"scopes": list(k.scopes)}
    )
    return with_credential_times(doc, k)


def api_key(doc: Mapping[str, Any]) -> ApiKey:
    return ApiKey(
        **read_credential(doc, "organizer_id", "name", "prefix", "key_hash"),
        scopes=tuple(doc["scopes"]),
    )
