"""log_out: end one session (the family of the refresh token given), its access tokens
included; log_out_everywhere: end every session of the user, and make every access token
issued so far invalid."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command, Id
from tickex.application.identity.session import PresentedToken, refresh_digest
from tickex.application.services import Core, NeedsIdentity
from tickex.domain.errors import NotFound
from tickex.ports.unit_of_work import UnitOfWork


class LogOut(Command):
    refresh_token: PresentedToken = Field(repr=False)


class LogOutEverywhere(Command):
    user_id: Id


def log_out(services: NeedsIdentity, command: LogOut) -> None:
    """Idempotent, and silent about tokens it does not know (no oracle)."""
    digest = refresh_digest(command.refresh_token)
    if digest is None:
        return

    def work(uow: UnitOfWork) -> str | None:
        session = uow.sessions.get_by_token_hash(digest)
        if session is None:
            return None
        uow.sessions.revoke_family(session.family_id, services.clock.now())
        return session.family_id

    family = services.transaction(work)
    if family is not None:  # committed: this process refuses its access tokens at once
        services.identity.revocations.note_revoked([family])


def end_all_sessions(services: Core, uow: UnitOfWork, user_id: str) -> None:
    """Revoke every refresh session of the user and stamp ``sessions_valid_after``: the
    access tokens issued until now stop working too (``authenticate`` checks it)."""
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound("user not found", user_id=user_id)
    now = services.clock.now()
    user.end_all_sessions(now)
    uow.users.save(user)
    uow.sessions.revoke_user(user_id, now)


def log_out_everywhere(services: Core, command: LogOutEverywhere) -> None:
    services.transaction(lambda uow: end_all_sessions(services, uow, command.user_id))
