"""Dead letters: a message the worker gave up on is listed, and delivered again once a
person fixed the cause -- with its idempotency key unchanged -- and nothing else moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.test_use_cases import BUYER, Shop, bought, make_shop
from tickex.application.delivery.dead_letters import ListDeadMessages, RetryDeadMessages
from tickex.domain.errors import InvalidTransition, NotFound
from tickex.domain.outbox import MAX_ATTEMPTS, OutboxStatus
from tickex.ports.mail import DeliveryError, EmailMessage
from tickex.ports.qr import QrCodeTooLong


class RefusingMailer:
    """Refuses every email for good (a 550), until told to take them."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.refuse = inner, True

    def send(self, message: EmailMessage) -> str:
        if self.refuse:
            raise DeliveryError("550 mailbox unavailable", retryable=False)
        return str(self.inner.send(message))


@pytest.fixture
def shop() -> Shop:
    return make_shop()


def refusing_mailer(shop: Shop) -> RefusingMailer:
    """Put a refusing mailer in front of the shop's in-memory one (``shop.mailer`` keeps
    what gets through)."""
    current = shop.app.services.delivery.mailer
    if isinstance(current, RefusingMailer):
        return current
    refusing = RefusingMailer(shop.mailer)
    shop.app.services = shop.app.services.with_ports(mailer=refusing)
    return refusing


def dead_after_a_permanent_refusal(shop: Shop) -> str:
    refusing = refusing_mailer(shop)
    bought(shop)
    run = shop.app.process_outbox()
    assert (run.sent, run.dead) == (0, 1)
    [dead] = shop.app.list_dead_messages()
    assert (dead.status, dead.attempts, dead.last_error) == (
        OutboxStatus.DEAD,
        1,
        "550 mailbox unavailable",
    )
    refusing.refuse = False
    return dead.id


def test_a_dead_message_is_delivered_again_once_retried(shop: Shop) -> None:
    dead_id = dead_after_a_permanent_refusal(shop)
    assert shop.app.process_outbox().sent == 0  # dead stays dead by itself
    key = shop.app.services.read(lambda uow: uow.outbox.get(dead_id)).idempotency_key  # type: ignore[union-attr]

    assert shop.app.retry_dead_messages(RetryDeadMessages(message_ids=[dead_id])) == 1

    assert shop.app.list_dead_messages() == ()
    assert shop.app.process_outbox().sent == 1
    [mail] = refusing_mailer(shop).inner.sent
    assert (mail.to, mail.idempotency_key) == (BUYER, key)


def test_every_dead_message_at_once(shop: Shop) -> None:
    dead_after_a_permanent_refusal(shop)
    refusing_mailer(shop).refuse = True
    bought(shop, email="ben@example.com")
    shop.app.process_outbox()
    assert len(shop.app.list_dead_messages()) == 2
    assert len(shop.app.list_dead_messages(ListDeadMessages(limit=1))) == 1
    refusing_mailer(shop).refuse = False
    assert shop.app.retry_dead_messages(RetryDeadMessages(every=True)) == 2
    assert shop.app.process_outbox().sent == 2


def test_a_message_that_failed_every_attempt_is_dead_and_revives_from_the_first(
    shop: Shop,
) -> None:
    bought(shop)
    shop.mailer.fail_times = MAX_ATTEMPTS  # retryable failures, every time
    for _ in range(MAX_ATTEMPTS):
        shop.app.process_outbox()
        shop.clock.advance(timedelta(hours=1))
    [dead] = shop.app.list_dead_messages()
    assert dead.attempts == MAX_ATTEMPTS
    shop.app.retry_dead_messages(RetryDeadMessages(every=True))
    revived = shop.app.services.read(lambda uow: uow.outbox.get(dead.id))
    assert revived is not None
    assert (revived.status, revived.attempts, revived.available_at) == (
        OutboxStatus.PENDING,
        0,
        shop.clock.now(),
    )
    assert shop.app.process_outbox().sent == 1


def test_only_dead_messages_are_retried_and_a_refusal_changes_nothing(shop: Shop) -> None:
    dead_id = dead_after_a_permanent_refusal(shop)
    bought(shop, email="ben@example.com")  # pending, not dead
    pending = shop.app.services.read(lambda uow: uow.outbox.due(shop.clock.now(), 10))
    [alive] = [m for m in pending if m.id != dead_id]
    with pytest.raises(InvalidTransition):
        shop.app.retry_dead_messages(RetryDeadMessages(message_ids=[dead_id, alive.id]))
    with pytest.raises(NotFound):
        shop.app.retry_dead_messages(RetryDeadMessages(message_ids=[dead_id, "no-such-id"]))
    [still_dead] = shop.app.list_dead_messages()
    assert still_dead.id == dead_id  # the unit rolled back: the dead one was not revived


@pytest.mark.parametrize(
    "arguments", [{}, {"every": True, "message_ids": ["a"]}, {"message_ids": []}]
)
def test_the_command_takes_ids_or_every_but_not_both(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RetryDeadMessages(**arguments)


def test_a_ticket_whose_code_cannot_be_drawn_is_dead_at_once_not_retried(shop: Shop) -> None:
    class TooLong:
        def png(self, data: str) -> bytes:
            raise QrCodeTooLong(len(data.encode()))

    shop.app.services = shop.app.services.with_ports(qr=TooLong())  # type: ignore[arg-type]
    bought(shop)
    run = shop.app.process_outbox()
    assert (run.sent, run.retried, run.dead) == (0, 0, 1)
    [dead] = shop.app.list_dead_messages()
    assert "do not fit" in dead.last_error
