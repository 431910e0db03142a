"""Users, refresh sessions, one-time tokens and API keys on MongoDB, and
:class:`_Credentials`, what every credential stored as a digest shares (a digest is
unique, looked up, and stamped conditionally), with :class:`_RevocableCredentials`, the
one implementation of API keys and staff credentials (see :mod:`.door`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pymongo.errors import DuplicateKeyError

from tickex.adapters.mongo.indexes import Collections
from tickex.adapters.mongo.mapping import identity as m
from tickex.adapters.mongo.mapping.common import Document, get_time, split_time, text
from tickex.adapters.mongo.repositories.base import (
    Gettable,
    Insertable,
    Session,
    T,
    Taken,
    _Repo,
    by_creation,
    duplicate_of,
)
from tickex.domain.errors import Conflict
from tickex.domain.identity import ApiKey, OneTimeToken, RefreshSession, Role, User
from tickex.ports.repository import (
    ApiKeyRepository,
    OneTimeTokenRepository,
    RefreshSessionRepository,
    UserRepository,
)

#: On revoked refresh sessions: the id of the ``revoke_family``/``revoke_user`` call.
REVOCATION_FIELD = "revocation_id"


def _at(name: str, now: datetime) -> Document:
    """``{name: <date>, name_us: <micros>}``: a stored time, for a ``$set`` or an exact match."""
    date, micros = split_time(now, "now")
    return {name: date, f"{name}_us": micros}


def _unset_time(name: str) -> Document:
    return {name: None, f"{name}_us": 0}


def _after(name: str, now: datetime) -> Document:
    """``name > now`` to the microsecond, over the date and its remainder."""
    date, micros = split_time(now, "now")
    return {"$or": [{name: {"$gt": date}}, {name: date, f"{name}_us": {"$gt": micros}}]}


class MongoUserRepository(Gettable[User], UserRepository):
    name = Collections.USERS
    kind = "user"
    spec = m.USER

    def add(self, user: User) -> None:
        doc = self.spec.dump(user)

        def conflict(exc: DuplicateKeyError) -> Conflict:
            fields = duplicate_of(exc) or self._taken(doc)
            if fields == {"_id"}:
                return Conflict(f"user {user.id} already exists")
            if fields == {"google_subject"}:
                return Conflict("this Google account is already linked", field="google_subject")
            return Conflict("this email is already registered", field="email")

        self._insert(doc, conflict)

    def _taken(self, doc: Document, *, other: bool = False) -> set[str]:
        """Which unique field refused ``doc`` when the error does not say (mongomock); with
        ``other``, held by another user. Never in a transaction: the failed write aborted
        it, and a real server always says."""
        if self._w.transactional:
            return set()
        mine = {"_id": {"$ne": doc["_id"]}} if other else {}
        for name in ("email", "google_subject"):
            if doc[name] is not None and self._one({name: doc[name], **mine}) is not None:
                return {name}
        return {"_id"}

    def get_by_email(self, email: str) -> User | None:
        return self._first({"email": text(email, "email").strip().lower()})

    def get_by_google_subject(self, subject: str) -> User | None:
        return self._by("google_subject", subject, "google_subject")

    def list_by_organizer(self, organizer_id: str) -> list[User]:
        return self._list_by("organizer_id", organizer_id, by_creation())

    def list_admins(self) -> list[User]:
        """``roles`` is an array: equality matches an element."""
        return self._list({"roles": Role.ADMIN.value}, by_creation())

    def save(self, user: User) -> None:
        doc = self.spec.dump(user)
        try:
            self._save_versioned(user, doc)
        except DuplicateKeyError as exc:
            if (duplicate_of(exc) or self._taken(doc, other=True)) == {"google_subject"}:
                message, field = "this Google account is linked to another user", "google_subject"
            else:
                message, field = "this email belongs to another user", "email"
            raise Conflict(message, field=field) from exc


class _Credentials(Insertable[T]):
    """Shared by the repositories of credentials stored as digests (``hash_field``)."""

    hash_field: ClassVar[str] = "token_hash"
    taken = Taken("{collection}: this digest exists")

    def get_by_hash(self, digest: str) -> T | None:
        return self._by(self.hash_field, digest, self.hash_field)

    def _stamp(
        self,
        key_name: str,
        key: str,
        field: str,
        now: datetime,
        when: Document,
        superseded_ok: bool = False,
    ) -> bool:
        """``field = now`` on ``key`` if the document also matches ``when``: one conditional
        update; False when nothing matched. The journalled inverse puts the previous value
        back only while ``field`` still holds this one; with ``superseded_ok`` a later
        write over it counts as undone (a later use of a key is not an error)."""
        key = text(key, key_name)
        stamp = _at(field, now)
        before = self._update({"_id": key, **when}, {"$set": stamp})
        if before is None:
            return False
        previous = {field: before.get(field), f"{field}_us": before.get(f"{field}_us", 0)}
        query, restore, collection = {"_id": key, **stamp}, {"$set": previous}, self._c
        self._w.remember(
            f"{field} of {self.kind} {key!r}",
            lambda: collection.update_one(query, restore).matched_count == 1 or superseded_ok,
        )
        return True


class _RevocableCredentials(_Credentials[T]):
    """API keys and staff credentials: used again and again until revoked."""

    id_name = "credential_id"  # as the ports name it

    def revoke(self, credential_id: str, now: datetime) -> bool:
        return self._stamp(self._id_name, credential_id, "revoked_at", now, {"revoked_at": None})

    def touch(self, credential_id: str, now: datetime) -> None:
        """Unconditional, as the reference (a missing id is ignored)."""
        self._stamp(self._id_name, credential_id, "last_used_at", now, {}, superseded_ok=True)


class MongoRefreshSessionRepository(_Credentials[RefreshSession], RefreshSessionRepository):
    name = Collections.REFRESH_SESSIONS
    kind = "refresh session"
    spec = m.REFRESH_SESSION

    def get_by_token_hash(self, token_hash: str) -> RefreshSession | None:
        return self.get_by_hash(token_hash)

    def rotate(self, session_id: str, now: datetime) -> bool:
        when = {"rotated_at": None, "revoked_at": None}
        return self._stamp("session_id", session_id, "rotated_at", now, when)

    def revoke_family(self, family_id: str, now: datetime) -> int:
        return self._revoke_where({"family_id": text(family_id, "family_id")}, now)

    def revoke_user(self, user_id: str, now: datetime) -> int:
        return self._revoke_where({"user_id": text(user_id, "user_id")}, now)

    def revoked_families(self, since: datetime) -> dict[str, datetime]:
        """The sessions revoked after ``since`` (on the ``revoked`` index), projected to
        their family and time; a few documents, read every second or so."""
        projection = {"family_id": 1, "revoked_at": 1, "revoked_at_us": 1}

        def run(s: Session) -> list[Document]:
            found = self._c.find(_after("revoked_at", since), projection, session=s)
            return list(found)

        latest: dict[str, datetime] = {}
        for doc in self._read(run):
            at, family = get_time(doc, "revoked_at"), doc.get("family_id")
            if at is not None and isinstance(family, str):
                latest[family] = max(at, latest.get(family, at))
        return latest

    def _revoke_where(self, query: Document, now: datetime) -> int:
        """One ``update_many``; each session revoked also gets the call's ``revocation_id``
        (kept: the sessions revoked together), which is how the inverse finds exactly the
        sessions this call revoked and never one another unit revoked at the same instant."""
        stamp = _at("revoked_at", now)
        mark = {REVOCATION_FIELD: uuid.uuid4().hex}
        change = {"$set": stamp | mark}
        query = {**query, "revoked_at": None}
        result = self._w.write(lambda s: self._c.update_many(query, change, session=s))
        revoked = int(result.modified_count)
        if revoked:
            collection = self._c
            restore = {"$set": _unset_time("revoked_at"), "$unset": {REVOCATION_FIELD: ""}}
            self._w.remember(
                f"revocation of {revoked} refresh sessions ({mark[REVOCATION_FIELD]})",
                lambda: collection.update_many(mark | stamp, restore).modified_count == revoked,
            )
        return revoked


class MongoOneTimeTokenRepository(_Credentials[OneTimeToken], OneTimeTokenRepository):
    name = Collections.ONE_TIME_TOKENS
    kind = "one-time token"
    spec = m.ONE_TIME_TOKEN

    def use(self, token_id: str, now: datetime) -> bool:
        when = {"used_at": None, **_after("expires_at", now)}
        return self._stamp("token_id", token_id, "used_at", now, when)


class MongoApiKeyRepository(_RevocableCredentials[ApiKey], ApiKeyRepository):
    name = Collections.API_KEYS
    kind = "API key"
    spec = m.API_KEY
    hash_field = "key_hash"

    def list_by_organizer(self, organizer_id: str) -> list[ApiKey]:
        return self._list_by("organizer_id", organizer_id, by_creation())


#: The unit of work's attributes this area fills, and their repositories.
REPOSITORIES: dict[str, type[_Repo[Any]]] = {
    "users": MongoUserRepository,
    "sessions": MongoRefreshSessionRepository,
    "one_time_tokens": MongoOneTimeTokenRepository,
    "api_keys": MongoApiKeyRepository,
}
