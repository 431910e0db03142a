"""The outbox's dead letters: messages the worker gave up on (a permanent refusal, or
``MAX_ATTEMPTS`` failures). Nothing is lost: an operator lists them
(``list_dead_messages``), fixes the cause (a setting, a provider outage) and sends them
again (``retry_dead_messages``): each revives from its first attempt with its idempotency
key unchanged, so a provider that took it once does not deliver it twice."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from tickex.application.command import Command, Id
from tickex.application.services import Core
from tickex.domain.errors import NotFound
from tickex.domain.outbox import OutboxMessage
from tickex.ports.unit_of_work import UnitOfWork

Limit = Annotated[int, Field(ge=1, le=1000)]


class ListDeadMessages(Command):
    limit: Limit = 100


class RetryDeadMessages(Command):
    """``message_ids``: those messages; ``every=True``: every dead message (up to
    ``limit`` of them, oldest first). Exactly one of the two."""

    message_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)] | None = None
    every: bool = False
    limit: Limit = 1000

    @model_validator(mode="after")
    def _one_choice(self) -> RetryDeadMessages:
        if (self.message_ids is None) == (not self.every):
            raise ValueError("give message_ids or every=True, not both")
        return self


def list_dead_messages(services: Core, command: ListDeadMessages) -> tuple[OutboxMessage, ...]:
    return tuple(services.read(lambda uow: uow.outbox.dead(command.limit)))


def retry_dead_messages(services: Core, command: RetryDeadMessages) -> int:
    """How many messages were revived. An unknown id is ``NotFound``; one that is not dead
    (sent, or already pending again) is ``InvalidTransition``; nothing changes then."""

    def work(uow: UnitOfWork) -> int:
        now = services.clock.now()
        if command.message_ids is None:
            chosen = uow.outbox.dead(command.limit)
        else:
            chosen = []
            for message_id in dict.fromkeys(command.message_ids):
                message = uow.outbox.get(message_id)
                if message is None:
                    raise NotFound("outbox message not found", message_id=message_id)
                chosen.append(message)
        for message in chosen:
            message.revive(now)  # InvalidTransition unless dead
            uow.outbox.save(message)
        return len(chosen)

    return services.transaction(work)
