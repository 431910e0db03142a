"""refresh_session: a refresh token for a new token pair, rotating it within its family.

A refresh token works once. Presenting one that was already rotated or revoked is reuse
(a stolen copy, or the thief's copy already used): the whole family is revoked, so both
the thief and the victim must log in again. Of two racing refreshes with one token,
exactly one wins (``sessions.rotate`` is atomic); the loser counts as reuse. A revoked
family's access tokens are refused too (``SessionRevocations``): the thief's access token
stops with the refresh token, not 15 minutes later."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command
from tickex.application.identity.session import (
    PresentedToken,
    TokenPair,
    refresh_digest,
    start_session,
)
from tickex.application.services import NeedsIdentity
from tickex.ports.identity import InvalidToken
from tickex.ports.unit_of_work import UnitOfWork


class RefreshAccess(Command):
    refresh_token: PresentedToken = Field(repr=False)


def refresh_session(services: NeedsIdentity, command: RefreshAccess) -> TokenPair:
    digest = refresh_digest(command.refresh_token)
    if digest is None:
        raise InvalidToken("malformed")

    def work(uow: UnitOfWork) -> TokenPair | tuple[str, str | None]:
        """The new pair, or why the token is refused and the family revoked for it, if
        any (the refusal is committed, so it is returned, not raised)."""
        now = services.clock.now()
        session = uow.sessions.get_by_token_hash(digest)
        if session is None:
            return "unknown", None
        family = session.family_id
        if session.rotated_at is not None or session.revoked_at is not None:
            uow.sessions.revoke_family(family, now)
            return "reused", family
        if now >= session.expires_at:
            return "expired", None
        user = uow.users.get(session.user_id)
        if user is None or not user.is_active or not user.session_is_current(session.created_at):
            uow.sessions.revoke_family(family, now)
            return "ended", family
        if not uow.sessions.rotate(session.id, now):  # a concurrent refresh won
            uow.sessions.revoke_family(family, now)
            return "reused", family
        return start_session(services, uow, user, now, family_id=family)

    outcome = services.transaction(work)
    if isinstance(outcome, TokenPair):
        return outcome
    reason, revoked = outcome
    if revoked is not None:  # committed: the family's access tokens stop here at once
        services.identity.revocations.note_revoked([revoked])
    raise InvalidToken(reason, "the refresh token is not valid; log in again")
