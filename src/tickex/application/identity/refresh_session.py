"""refresh_session: a refresh token for a new token pair, rotating it within its family.

A refresh token works once. Presenting one that was already rotated or revoked is reuse
(a stolen copy, or the thief's copy already used): the whole family is revoked, so both
the thief and the victim must log in again. Of two racing refreshes with one token,
exactly one wins (``sessions.rotate`` is atomic); the loser counts as reuse."""

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

    def work(uow: UnitOfWork) -> TokenPair | str:
        """The new pair, or why the token is refused (after revoking what must be: the
        refusal is committed, so it is returned, not raised)."""
        now = services.clock.now()
        session = uow.sessions.get_by_token_hash(digest)
        if session is None:
            return "unknown"
        if session.rotated_at is not None or session.revoked_at is not None:
            uow.sessions.revoke_family(session.family_id, now)
            return "reused"
        if now >= session.expires_at:
            return "expired"
        user = uow.users.get(session.user_id)
        if user is None or not user.is_active or not user.session_is_current(session.created_at):
            uow.sessions.revoke_family(session.family_id, now)
            return "ended"
        if not uow.sessions.rotate(session.id, now):  # a concurrent refresh won
            uow.sessions.revoke_family(session.family_id, now)
            return "reused"
        return start_session(services, uow, user, now, family_id=session.family_id)

    outcome = services.transaction(work)
    if isinstance(outcome, str):
        raise InvalidToken(outcome, "the refresh token is not valid; log in again")
    return outcome
