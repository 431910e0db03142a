"""Users, refresh sessions, one-time tokens and API keys <-> documents.

Digests, emails and Google subjects are unique-indexed lookup keys: they go through
:func:`~.common.text` on the way in, as every filter value does on the way to a query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tickex.adapters.mongo.mapping.common import (
    Document,
    check_schema,
    get_time,
    need_time,
    new_document,
    optional_text,
    put_time,
    text,
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
    put_time(doc, "created_at", u.created_at)
    put_time(doc, "sessions_valid_after", u.sessions_valid_after)
    return doc


def user(doc: Mapping[str, Any]) -> User:
    check_schema(doc)
    return User(
        id=doc["_id"],
        email=doc["email"],
        name=doc["name"],
        created_at=need_time(doc, "created_at"),
        roles=frozenset(Role(r) for r in doc["roles"]),
        password_hash=doc.get("password_hash"),
        email_verified=doc["email_verified"],
        google_subject=doc.get("google_subject"),
        organizer_id=doc.get("organizer_id"),
        status=UserStatus(doc["status"]),
        sessions_valid_after=get_time(doc, "sessions_valid_after"),
        version=doc["version"],
    )


def refresh_session_doc(s: RefreshSession) -> Document:
    doc = new_document(s.id) | {
        "user_id": text(s.user_id, "user_id"),
        "family_id": text(s.family_id, "family_id"),
        "token_hash": text(s.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", s.created_at)
    put_time(doc, "expires_at", s.expires_at)
    put_time(doc, "rotated_at", s.rotated_at)
    put_time(doc, "revoked_at", s.revoked_at)
    return doc


def refresh_session(doc: Mapping[str, Any]) -> RefreshSession:
    check_schema(doc)
    return RefreshSession(
        id=doc["_id"],
        user_id=doc["user_id"],
        family_id=doc["family_id"],
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        rotated_at=get_time(doc, "rotated_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )


def one_time_token_doc(t: OneTimeToken) -> Document:
    doc = new_document(t.id) | {
        "user_id": t.user_id,
        "purpose": TokenPurpose(t.purpose).value,
        "token_hash": text(t.token_hash, "token_hash"),
    }
    put_time(doc, "created_at", t.created_at)
    put_time(doc, "expires_at", t.expires_at)
    put_time(doc, "used_at", t.used_at)
    return doc


def one_time_token(doc: Mapping[str, Any]) -> OneTimeToken:
    check_schema(doc)
    return OneTimeToken(
        id=doc["_id"],
        user_id=doc["user_id"],
        purpose=TokenPurpose(doc["purpose"]),
        token_hash=doc["token_hash"],
        created_at=need_time(doc, "created_at"),
        expires_at=need_time(doc, "expires_at"),
        used_at=get_time(doc, "used_at"),
    )


def api_key_doc(k: ApiKey) -> Document:
    doc = new_document(k.id) | {
        "organizer_id": text(k.organizer_id, "organizer_id"),
        "name": k.name,
        "prefix": k.prefix,
        "key_hash": text(k.key_hash, "key_hash"),
        "scopes": list(k.scopes),
    }
    put_time(doc, "created_at", k.created_at)
    put_time(doc, "last_used_at", k.last_used_at)
    put_time(doc, "revoked_at", k.revoked_at)
    return doc


def api_key(doc: Mapping[str, Any]) -> ApiKey:
    check_schema(doc)
    return ApiKey(
        id=doc["_id"],
        organizer_id=doc["organizer_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        key_hash=doc["key_hash"],
        created_at=need_time(doc, "created_at"),
        scopes=tuple(doc["scopes"]),
        last_used_at=get_time(doc, "last_used_at"),
        revoked_at=get_time(doc, "revoked_at"),
    )
