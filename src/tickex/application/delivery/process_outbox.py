"""process_outbox: the worker's job. Claims due messages (a lease keeps other workers off
them), performs each side effect after the state change committed, and records success or
a retry with backoff. Providers get the message's idempotency key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Protocol

from pydantic import Field

from tickex.application.command import Command
from tickex.application.delivery.ticket_email import ticket_email
from tickex.application.services import NeedsDelivery, NeedsSales
from tickex.domain.errors import DomainError
from tickex.domain.money import Money
from tickex.domain.outbox import MessageKind, OutboxMessage, OutboxStatus
from tickex.ports.mail import DeliveryError, EmailMessage
from tickex.ports.payment import PaymentError, RefundRequest
from tickex.ports.qr import QrCodeTooLong
from tickex.ports.unit_of_work import UnitOfWork

LEASE = timedelta(minutes=5)


class _NeedsDeliverySales(NeedsDelivery, NeedsSales, Protocol):
    """The ports this module's use cases need: delivery and sales."""


class ProcessOutbox(Command):
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


@dataclass(frozen=True, slots=True)
class OutboxRun:
    sent: int
    retried: int
    dead: int


class _Permanent(Exception):
    """A failure that retrying cannot fix."""


def process_outbox(services: _NeedsDeliverySales, command: ProcessOutbox) -> OutboxRun:
    def claim(uow: UnitOfWork) -> list[OutboxMessage]:
        now = services.clock.now()
        messages = uow.outbox.due(now, command.limit)
        for message in messages:
            message.available_at = now + LEASE
            uow.outbox.save(message)
        return messages

    sent = retried = dead = 0
    for message in services.transaction(claim):
        error: str | None = None
        permanent = False
        try:
            _perform(services, message)
        except (DeliveryError, PaymentError) as exc:
            error, permanent = str(exc) or type(exc).__name__, not exc.retryable
        except (_Permanent, DomainError, QrCodeTooLong) as exc:  # no retry can fix these
            error, permanent = str(exc), True
        except Exception as exc:  # one bad message must not stop the worker: retry it later
            error = f"{type(exc).__name__}: {exc}"

        def finish(uow: UnitOfWork, m: OutboxMessage = message, err: str | None = error,
                   perm: bool = permanent) -> OutboxStatus:  # fmt: skip
            current = uow.outbox.get(m.id)
            assert current is not None
            if err is None:
                current.succeeded()
            elif perm:
                current.gave_up(services.clock.now(), err)
            else:
                current.failed(services.clock.now(), err)
            uow.outbox.save(current)
            return current.status

        status = services.transaction(finish)
        sent += status is OutboxStatus.SENT
        dead += status is OutboxStatus.DEAD
        retried += status is OutboxStatus.PENDING
    return OutboxRun(sent, retried, dead)


def _perform(services: _NeedsDeliverySales, message: OutboxMessage) -> None:
    payload = message.payload
    if message.kind is MessageKind.REFUND_PAYMENT:
        reference = str(payload["payment_reference"])
        if not reference:
            raise _Permanent("the order has no payment reference")
        services.sales.payments.refund(
            RefundRequest(
                payment_reference=reference,
                amount=Money(int(payload["amount_minor"]), str(payload["currency"])),
                idempotency_key=message.idempotency_key,
                reason=str(payload.get("reason", "")),
                # as the ledger books it (finance/bookkeeping.post_refund): the organizer's
                # share comes back from their transfer, and the platform returns its fee
                # only when the refund returned a part of it (a message queued before
                # ``fee_minor`` existed leaves the provider's default)
                reverse_transfer=True,
                refund_application_fee=(
                    int(payload["fee_minor"]) > 0 if "fee_minor" in payload else None
                ),
            )
        )
    elif message.kind is MessageKind.NOTIFY_CUSTOMER:
        services.delivery.mailer.send(
            EmailMessage(to=str(payload["to"]), subject=str(payload["subject"]),
                         text=str(payload["text"]), idempotency_key=message.idempotency_key)
        )  # fmt: skip
    elif message.kind is MessageKind.DELIVER_TICKETS:
        services.delivery.mailer.send(ticket_email(services, str(payload["order_id"]), message))
    else:  # pragma: no cover - every kind is handled above
        raise _Permanent(f"unknown message kind {message.kind}")
