"""create_admin: the platform operator opens an admin account (``tickex create-admin``).

The first admin cannot be granted by another admin, so this is an operator's step, not an
HTTP route. The email counts as verified (the operator vouches for it) and no email is
sent. An email that is registered already is refused: promoting an existing account is a
decision to make in storage by hand, not by accident."""

from __future__ import annotations

from pydantic import Field

from tickex.application.command import Command, Email, Name, Password
from tickex.application.services import NeedsIdentity
from tickex.domain.errors import Conflict
from tickex.domain.identity import Role, User
from tickex.ports.unit_of_work import UnitOfWork


class CreateAdmin(Command):
    email: Email
    name: Name
    password: Password = Field(repr=False)


def create_admin(services: NeedsIdentity, command: CreateAdmin) -> User:
    password_hash = services.identity.passwords.hash(command.password)  # slow: outside the unit
    email = command.email.lower()

    def work(uow: UnitOfWork) -> User:
        if uow.users.get_by_email(email) is not None:
            raise Conflict("this email is already registered", field="email")
        user = User(
            id=services.ids.new_id(),
            email=email,
            name=command.name,
            created_at=services.clock.now(),
            roles=frozenset({Role.CUSTOMER, Role.ADMIN}),
            password_hash=password_hash,
            email_verified=True,
        )
        uow.users.add(user)
        return user

    return services.transaction(work)
