"""``TickEx``: the library's front door. One object, one method per use case.

app = TickEx.in_memory()                   # everything in-process, deterministic
app = TickEx.from_settings()               # adapters chosen by TICKEX_* variables
app = TickEx.from_settings(mailer=my_mailer)   # swap any adapter
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from tickex.application.catalog.cancel_event import cancel_event
from tickex.application.catalog.create_event import create_event
from tickex.application.catalog.create_promo_code import create_promo_code
from tickex.application.catalog.create_quota import create_quota, resize_quota
from tickex.application.catalog.create_ticket_type import create_ticket_type
from tickex.application.catalog.get_event import get_event
from tickex.application.catalog.list_events import EventList, ListEvents, list_events
from tickex.application.catalog.organizer_events import get_organizer_event, list_organizer_events
from tickex.application.catalog.publish_event import publish_event
from tickex.application.catalog.update_event import update_event
from tickex.application.catalog.update_ticket_type import update_ticket_type
from tickex.application.delivery.dead_letters import (
    ListDeadMessages,
    list_dead_messages,
    retry_dead_messages,
)
from tickex.application.delivery.process_outbox import OutboxRun, ProcessOutbox, process_outbox
from tickex.application.door.authenticate_staff import authenticate_staff
from tickex.application.door.check_in import check_in
from tickex.application.door.issue_staff_credential import issue_staff_credential
from tickex.application.door.list_staff_credentials import list_staff_credentials
from tickex.application.door.revoke_staff_credential import revoke_staff_credential
from tickex.application.finance.organizer_metrics import organizer_metrics
from tickex.application.finance.record_payout import record_payout
from tickex.application.idempotency import (
    PurgeIdempotencyKeys,
    purge_idempotency_keys,
)
from tickex.application.identity.authenticate import authenticate, get_account
from tickex.application.identity.authenticate_api_key import authenticate_api_key
from tickex.application.identity.change_password import change_password
from tickex.application.identity.create_admin import create_admin
from tickex.application.identity.disable_user import disable_user
from tickex.application.identity.google_sign_in import complete_google_sign_in, start_google_sign_in
from tickex.application.identity.issue_api_key import issue_api_key
from tickex.application.identity.list_api_keys import list_api_keys
from tickex.application.identity.log_in import log_in
from tickex.application.identity.log_out import log_out, log_out_everywhere
from tickex.application.identity.refresh_session import refresh_session
from tickex.application.identity.register_user import register_user
from tickex.application.identity.request_email_verification import request_email_verification
from tickex.application.identity.request_password_reset import request_password_reset
from tickex.application.identity.reset_password import reset_password
from tickex.application.identity.revoke_api_key import revoke_api_key
from tickex.application.identity.verify_email import verify_email
from tickex.application.organizers.approve_organizer_request import approve_organizer_request
from tickex.application.organizers.create_organizer import create_organizer
from tickex.application.organizers.get_organizer_request import get_organizer_request
from tickex.application.organizers.list_organizer_requests import list_organizer_requests
from tickex.application.organizers.payment_account import (
    get_payment_account,
    start_payment_onboarding,
)
from tickex.application.organizers.reject_organizer_request import reject_organizer_request
from tickex.application.organizers.request_organizer_role import request_organizer_role
from tickex.application.sales.cancel_order import cancel_order
from tickex.application.sales.confirm_payment import confirm_payment
from tickex.application.sales.expire_holds import ExpiredHolds, ExpireHolds, expire_holds
from tickex.application.sales.find_order import find_order
from tickex.application.sales.get_checkout import get_checkout
from tickex.application.sales.get_order import get_order
from tickex.application.sales.list_payment_reviews import list_payment_reviews
from tickex.application.sales.place_order import (
    place_order,
    place_order_idempotently,
)
from tickex.application.sales.receive_payment_webhook import receive_payment_webhook
from tickex.application.sales.refund_order import (
    refund_order,
    refund_order_idempotently,
)
from tickex.application.sales.resolve_payment_review import resolve_payment_review
from tickex.application.services import Services
from tickex.bootstrap import (
    NOT_ADAPTERS,
    Container,
    build_container,
    deterministic_adapters,
    memory_access_tokens,
)
from tickex.domain.ledger import LedgerTransaction
from tickex.domain.outbox import OutboxMessage
from tickex.ports.clock import Clock
from tickex.ports.mail import EmailMessage
from tickex.ports.rate_limit import RateLimiter
from tickex.settings import Settings

P = ParamSpec("P")  # what a use case takes after the services (its command, ...)
R = TypeVar("R")  # what it returns


class UseCase(Generic[P, R]):
    """A use case as a method of ``TickEx``: ``place_order = UseCase(place_order)`` makes
    ``app.place_order(command)`` run ``place_order(app.services, command)``, typed as the
    use case is (``(PlaceOrder) -> PlacedOrder``; ``place_order_idempotently`` also takes
    the key and the renderer of its answer)."""

    def __init__(self, run: Callable[Concatenate[Services, P], R]) -> None:
        self._run = run
        self.__doc__ = run.__doc__

    @overload
    def __get__(self, app: None, owner: type[Any]) -> UseCase[P, R]: ...
    @overload
    def __get__(self, app: TickEx, owner: type[Any]) -> Callable[P, R]: ...
    def __get__(self, app: TickEx | None, owner: type[Any]) -> UseCase[P, R] | Callable[P, R]:
        if app is None:
            return self
        return partial(self._run, app.services)

    def __repr__(self) -> str:
        return f"UseCase({self._run.__module__}.{self._run.__name__})"


class TickEx:
    """The application: use cases bound to one set of adapters."""

    def __init__(self, services: Services, container: Container | None = None) -> None:
        self.services = services
        self.container = container

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Settings | None = None, **adapters: Any) -> TickEx:
        """Adapters from settings (environment), any of them replaced by keyword:
        ``storage``, ``clock``, ``ids``, ``secrets``, ``signer``, ``payments``, ``mailer``,
        ``messenger``, ``media``, ``rate_limiter``, ``passwords``, ``access_tokens``,
        ``revocations``, ``secret_box``, ``oidc``, ``qr``."""
        container = build_container(settings)
        for name, adapter in adapters.items():
            provider = getattr(container, name, None)
            if provider is None or name in NOT_ADAPTERS:
                raise TypeError(f"unknown adapter {name!r}")
            provider.override(adapter)
        return cls(container.services(), container)

    @classmethod
    def in_memory(cls, start: datetime | None = None, **adapters: Any) -> TickEx:
        """Everything in memory with a fixed clock, sequential ids and seeded secrets:
        deterministic, for tests, notebooks and demos."""
        settings = Settings.load(environment="test")
        defaults = deterministic_adapters(start)
        defaults.update(adapters)
        if "access_tokens" not in defaults:
            clock = defaults["clock"]
            assert isinstance(clock, Clock)
            defaults["access_tokens"] = memory_access_tokens(clock, settings)
        return cls.from_settings(settings, **defaults)

    # -- operations: what the entrypoints ask of the running application -----------------
    # (Entrypoints use these and the container, never ``services``: the facade is their seam.)
    def migrate_storage(self) -> None:
        """Create or upgrade the storage's schema (``tickex migrate``)."""
        self.services.storage.migrate()

    def close(self) -> None:
        """Release the storage's connections (the end of a CLI command or a worker)."""
        self.services.storage.close()

    def storage_ready(self) -> bool:
        """Whether the storage answers (the readiness probe)."""
        return self.services.storage.ping()

    def outbox_backlog(self) -> tuple[int, int]:
        """How many outbox messages wait to be sent, and how many are dead (metrics)."""
        return self.services.read(lambda uow: (uow.outbox.pending_count(), uow.outbox.dead_count()))

    def payment_provider(self) -> str:
        """The configured payment gateway's name (``"local"``: the built-in checkout page)."""
        return self.services.sales.payments.name

    @property
    def rate_limiter(self) -> RateLimiter:
        """The rate limiter the HTTP layer counts requests with (shared by every worker when
        it is Redis)."""
        return self.services.identity.rate_limiter

    @property
    def clock(self) -> Clock:
        """The application's clock (a ``FixedClock`` in ``in_memory``: the demo advances it)."""
        return self.services.clock

    def sent_mail(self) -> tuple[EmailMessage, ...]:
        """What an in-memory mailer has sent (empty for a mailer that keeps nothing)."""
        return tuple(getattr(self.services.delivery.mailer, "sent", ()))

    def ledger_transactions(self) -> tuple[LedgerTransaction, ...]:
        """Every ledger transaction, oldest first (the demo prints their balances)."""
        return tuple(self.services.read(lambda uow: uow.ledger.list_all()))

    # -- accounts -------------------------------------------------------------------------
    register_user = UseCase(register_user)
    log_in = UseCase(log_in)
    refresh_session = UseCase(refresh_session)
    log_out = UseCase(log_out)
    log_out_everywhere = UseCase(log_out_everywhere)
    change_password = UseCase(change_password)
    request_email_verification = UseCase(request_email_verification)
    verify_email = UseCase(verify_email)
    request_password_reset = UseCase(request_password_reset)
    reset_password = UseCase(reset_password)
    disable_user = UseCase(disable_user)
    authenticate = UseCase(authenticate)
    get_account = UseCase(get_account)

    # -- organizer requests ---------------------------------------------------------------
    request_organizer_role = UseCase(request_organizer_role)
    get_organizer_request = UseCase(get_organizer_request)
    list_organizer_requests = UseCase(list_organizer_requests)
    approve_organizer_request = UseCase(approve_organizer_request)
    reject_organizer_request = UseCase(reject_organizer_request)
    create_admin = UseCase(create_admin)

    # -- payments flagged for review (admins) ---------------------------------------------
    list_payment_reviews = UseCase(list_payment_reviews)
    resolve_payment_review = UseCase(resolve_payment_review)

    # -- Google sign-in -------------------------------------------------------------------
    start_google_sign_in = UseCase(start_google_sign_in)
    complete_google_sign_in = UseCase(complete_google_sign_in)

    # -- organizer side -------------------------------------------------------------------
    create_organizer = UseCase(create_organizer)
    start_payment_onboarding = UseCase(start_payment_onboarding)
    get_payment_account = UseCase(get_payment_account)
    create_event = UseCase(create_event)
    update_event = UseCase(update_event)
    publish_event = UseCase(publish_event)
    cancel_event = UseCase(cancel_event)
    create_ticket_type = UseCase(create_ticket_type)
    update_ticket_type = UseCase(update_ticket_type)
    create_quota = UseCase(create_quota)
    resize_quota = UseCase(resize_quota)
    create_promo_code = UseCase(create_promo_code)
    refund_order = UseCase(refund_order)
    refund_order_idempotently = UseCase(refund_order_idempotently)
    record_payout = UseCase(record_payout)
    organizer_metrics = UseCase(organizer_metrics)
    list_organizer_events = UseCase(list_organizer_events)
    get_organizer_event = UseCase(get_organizer_event)
    issue_staff_credential = UseCase(issue_staff_credential)
    list_staff_credentials = UseCase(list_staff_credentials)
    revoke_staff_credential = UseCase(revoke_staff_credential)

    # -- API keys -------------------------------------------------------------------------
    issue_api_key = UseCase(issue_api_key)
    list_api_keys = UseCase(list_api_keys)
    revoke_api_key = UseCase(revoke_api_key)
    authenticate_api_key = UseCase(authenticate_api_key)

    # -- buyer side -----------------------------------------------------------------------
    place_order = UseCase(place_order)
    place_order_idempotently = UseCase(place_order_idempotently)
    confirm_payment = UseCase(confirm_payment)
    receive_payment_webhook = UseCase(receive_payment_webhook)  # what /webhooks/stripe calls
    cancel_order = UseCase(cancel_order)
    get_order = UseCase(get_order)
    find_order = UseCase(find_order)  # by the human code and the email
    get_event = UseCase(get_event)
    get_checkout = UseCase(get_checkout)

    def list_events(self, command: ListEvents | None = None) -> EventList:
        return list_events(self.services, command or ListEvents())

    # -- door and worker ------------------------------------------------------------------
    authenticate_staff = UseCase(authenticate_staff)
    check_in = UseCase(check_in)
    retry_dead_messages = UseCase(retry_dead_messages)

    # (the worker's use cases run with their default command when given none)
    def expire_holds(self, command: ExpireHolds | None = None) -> ExpiredHolds:
        return expire_holds(self.services, command or ExpireHolds())

    def process_outbox(self, command: ProcessOutbox | None = None) -> OutboxRun:
        return process_outbox(self.services, command or ProcessOutbox())

    def purge_idempotency_keys(self, command: PurgeIdempotencyKeys | None = None) -> int:
        return purge_idempotency_keys(self.services, command or PurgeIdempotencyKeys())

    def list_dead_messages(
        self, command: ListDeadMessages | None = None
    ) -> tuple[OutboxMessage, ...]:
        return list_dead_messages(self.services, command or ListDeadMessages())
