"""register_user: open an account with an email and a password; optionally as an
organizer (a new Organizer, and the organizer role for it) when self-serve is allowed."""

from __future__ import annotations

from pydantic import Field, model_validator

from tickex.application.command import Command, Email, Name, Password
from tickex.application.identity.mailed_token import enqueue_verification_email
from tickex.application.services import NeedsIdentityDelivery
from tickex.domain.errors import Conflict, Forbidden
from tickex.domain.identity import Role, User
from tickex.domain.organizer import Organizer
from tickex.ports.unit_of_work import UnitOfWork


class RegisterUser(Command):
    email: Email
    password: Password = Field(repr=False)
    name: Name
    as_organizer: bool = False
    organizer_name: Name | None = None  # default: the user's name

    @model_validator(mode="after")
    def _organizer_name_needs_organizer(self) -> RegisterUser:
        if self.organizer_name is not None and not self.as_organizer:
            raise ValueError("organizer_name is only for as_organizer")
        return self


def register_user(services: NeedsIdentityDelivery, command: RegisterUser) -> User:
    if command.as_organizer and not services.identity.organizer_self_serve:
        raise Forbidden("organizer accounts are granted by an admin")
    password_hash = services.identity.passwords.hash(command.password)  # slow: outside the unit
    email = command.email.lower()

    def work(uow: UnitOfWork) -> User:
        now = services.clock.now()
        user = User(
            id=services.ids.new_id(),
            email=email,
            name=command.name,
            created_at=now,
            password_hash=password_hash,
        )
        if uow.users.get_by_email(email) is not None:
            raise Conflict("this account cannot be created")
        if command.as_organizer:
            organizer = Organizer(
                id=services.ids.new_id(),
                name=command.organizer_name or command.name,
                email=email,
                created_at=now,
            )
            uow.organizers.add(organizer)
            user.grant(Role.ORGANIZER, organizer.id)
        try:
            uow.users.add(user)
        except Conflict:
            raise Conflict("this account cannot be created") from None
        enqueue_verification_email(services, uow, user)
        return user

    return services.transaction(work)
