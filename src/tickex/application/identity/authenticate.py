"""authenticate: who an access token speaks for, as a ``Principal``.

The token's signature and lifetime are checked by the ``AccessTokens`` port; this adds
what only storage knows: the token's session was not revoked (a logout, a refresh-token
reuse: ``SessionRevocations``, answered from memory, as late as its documented bound for a
revocation made by another worker), and the user still exists, is active, and did not end
every session after the token was issued (a password change, a disable). Roles and
organizer come from the user as stored now, not from the token (a revoked role stops
working at once)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from tickex.application.command import Command, Id, Result
from tickex.application.services import Core, NeedsIdentity
from tickex.domain.identity import Principal, Role, User
from tickex.ports.identity import InvalidToken


class Authenticate(Command):
    access_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        repr=False
    )


class GetAccount(Command):
    user_id: Id


class Account(Result):
    """What a user may see about their own account."""

    id: str
    email: str
    name: str
    roles: frozenset[Role]
    organizer_id: str | None
    email_verified: bool

    @classmethod
    def of(cls, user: User) -> Account:
        return cls.model_validate(user, from_attributes=True)  # the user's fields of the same name


def authenticate(services: NeedsIdentity, command: Authenticate) -> Principal:
    claims = services.identity.access_tokens.verify(
        command.access_token
    )  # InvalidToken, TokenExpired
    revoked = services.identity.revocations.is_revoked(claims.session_id)  # no read, mostly
    user = None if revoked else services.read(lambda uow: uow.users.get(claims.subject))
    if user is None or not user.is_active or not user.session_is_current(claims.issued_at):
        raise InvalidToken("ended", "the session has ended; log in again")
    return Principal(user_id=user.id, roles=user.roles, organizer_id=user.organizer_id)


def get_account(services: Core, command: GetAccount) -> Account:
    user = services.read(lambda uow: uow.users.get(command.user_id))
    if user is None:
        raise InvalidToken("ended", "the session has ended; log in again")
    return Account.of(user)
