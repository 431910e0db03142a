"""``TickEx``: the library's front door. One object, one method per use case.

app = TickEx.in_memory()                   # everything in-process, deterministic
app = TickEx.from_settings()               # adapters chosen by TICKEX_* variables
app = TickEx.from_settings(mailer=my_mailer)   # swap any adapter
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tickex.application.catalog.cancel_event import CancelEvent, CancelledEvent, cancel_event
from tickex.application.catalog.create_event import CreateEvent, create_event
from tickex.application.catalog.create_promo_code import CreatePromoCode, create_promo_code
from tickex.application.catalog.create_quota import (
    CreateQuota,
    ResizeQuota,
    create_quota,
    resize_quota,
)
from tickex.application.catalog.create_ticket_type import CreateTicketType, create_ticket_type
from tickex.application.catalog.get_event import EventPage, GetEvent, get_event
from tickex.application.catalog.list_events import EventList, ListEvents, list_events
from tickex.application.catalog.organizer_events import (
    GetOrganizerEvent,
    ListOrganizerEvents,
    OrganizerEvent,
    get_organizer_event,
    list_organizer_events,
)
from tickex.application.catalog.publish_event import PublishEvent, publish_event
from tickex.application.catalog.update_event import UpdateEvent, update_event
from tickex.application.catalog.update_ticket_type import UpdateTicketType, update_ticket_type
from tickex.application.delivery.dead_letters import (
    ListDeadMessages,
    RetryDeadMessages,
    list_dead_messages,
    retry_dead_messages,
)
from tickex.application.delivery.process_outbox import OutboxRun, ProcessOutbox, process_outbox
from tickex.application.door.authenticate_staff import AuthenticateStaff, authenticate_staff
from tickex.application.door.check_in import CheckInTicket, ScanResult, check_in
from tickex.application.door.issue_staff_credential import (
    IssuedStaffCredential,
    IssueStaffCredential,
    issue_staff_credential,
)
from tickex.application.door.list_staff_credentials import (
    ListStaffCredentials,
    list_staff_credentials,
)
from tickex.application.door.revoke_staff_credential import (
    RevokeStaffCredential,
    revoke_staff_credential,
)
from tickex.application.finance.organizer_metrics import (
    GetOrganizerMetrics,
    OrganizerMetrics,
    organizer_metrics,
)
from tickex.application.finance.record_payout import RecordPayout, record_payout
from tickex.application.identity.authenticate import (
    Account,
    Authenticate,
    GetAccount,
    authenticate,
    get_account,
)
from tickex.application.identity.authenticate_api_key import (
    AuthenticateApiKey,
    authenticate_api_key,
)
from tickex.application.identity.change_password import ChangePassword, change_password
from tickex.application.identity.create_admin import CreateAdmin, create_admin
from tickex.application.identity.disable_user import DisableUser, disable_user
from tickex.application.identity.google_sign_in import (
    CompleteGoogleSignIn,
    GoogleSignInStarted,
    StartGoogleSignIn,
    complete_google_sign_in,
    start_google_sign_in,
)
from tickex.application.identity.issue_api_key import IssueApiKey, IssuedApiKey, issue_api_key
from tickex.application.identity.list_api_keys import ApiKeyView, ListApiKeys, list_api_keys
from tickex.application.identity.log_in import LogIn, log_in
from tickex.application.identity.log_out import (
    LogOut,
    LogOutEverywhere,
    log_out,
    log_out_everywhere,
)
from tickex.application.identity.refresh_session import RefreshAccess, refresh_session
from tickex.application.identity.register_user import RegisterUser, register_user
from tickex.application.identity.request_email_verification import (
    RequestEmailVerification,
    request_email_verification,
)
from tickex.application.identity.request_password_reset import (
    RequestPasswordReset,
    request_password_reset,
)
from tickex.application.identity.reset_password import ResetPassword, reset_password
from tickex.application.identity.revoke_api_key import RevokeApiKey, revoke_api_key
from tickex.application.identity.session import TokenPair
from tickex.application.identity.verify_email import VerifyEmail, verify_email
from tickex.application.organizers.approve_organizer_request import (
    ApproveOrganizerRequest,
    approve_organizer_request,
)
from tickex.application.organizers.create_organizer import CreateOrganizer, create_organizer
from tickex.application.organizers.get_organizer_request import (
    GetOrganizerRequest,
    get_organizer_request,
)
from tickex.application.organizers.list_organizer_requests import (
    ListOrganizerRequests,
    OrganizerRequestList,
    list_organizer_requests,
)
from tickex.application.organizers.organizer_request_view import OrganizerRequestView
from tickex.application.organizers.reject_organizer_request import (
    RejectOrganizerRequest,
    reject_organizer_request,
)
from tickex.application.organizers.request_organizer_role import (
    RequestOrganizerRole,
    request_organizer_role,
)
from tickex.application.sales.cancel_order import CancelOrder, cancel_order
from tickex.application.sales.confirm_payment import (
    ConfirmPayment,
    PaymentConfirmation,
    confirm_payment,
)
from tickex.application.sales.expire_holds import ExpiredHolds, ExpireHolds, expire_holds
from tickex.application.sales.get_checkout import CheckoutView, GetCheckout, get_checkout
from tickex.application.sales.get_order import GetOrder, OrderDetails, get_order
from tickex.application.sales.place_order import PlacedOrder, PlaceOrder, place_order
from tickex.application.sales.refund_order import RefundOrder, refund_order
from tickex.application.services import Services
from tickex.bootstrap import (
    NOT_ADAPTERS,
    Container,
    build_container,
    deterministic_adapters,
    memory_access_tokens,
)
from tickex.domain.event import Event
from tickex.domain.identity import Principal, StaffCredential, User
from tickex.domain.ledger import LedgerTransaction
from tickex.domain.order import Order
from tickex.domain.organizer import Organizer
from tickex.domain.organizer_request import OrganizerRequest
from tickex.domain.outbox import OutboxMessage
from tickex.domain.promo_code import PromoCode
from tickex.domain.quota import Quota
from tickex.domain.ticket_type import TicketType
from tickex.ports.clock import Clock
from tickex.ports.mail import EmailMessage
from tickex.ports.rate_limit import RateLimiter
from tickex.settings import Settings


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
        ``secret_box``, ``oidc``, ``qr``."""
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
    def register_user(self, command: RegisterUser) -> User:
        return register_user(self.services, command)

    def log_in(self, command: LogIn) -> TokenPair:
        return log_in(self.services, command)

    def refresh_session(self, command: RefreshAccess) -> TokenPair:
        return refresh_session(self.services, command)

    def log_out(self, command: LogOut) -> None:
        log_out(self.services, command)

    def log_out_everywhere(self, command: LogOutEverywhere) -> None:
        log_out_everywhere(self.services, command)

    def change_password(self, command: ChangePassword) -> None:
        change_password(self.services, command)

    def request_email_verification(self, command: RequestEmailVerification) -> None:
        request_email_verification(self.services, command)

    def verify_email(self, command: VerifyEmail) -> Account:
        return verify_email(self.services, command)

    def request_password_reset(self, command: RequestPasswordReset) -> None:
        request_password_reset(self.services, command)

    def reset_password(self, command: ResetPassword) -> None:
        reset_password(self.services, command)

    def disable_user(self, command: DisableUser) -> User:
        return disable_user(self.services, command)

    def authenticate(self, command: Authenticate) -> Principal:
        return authenticate(self.services, command)

    def get_account(self, command: GetAccount) -> Account:
        return get_account(self.services, command)

    # -- organizer requests ---------------------------------------------------------------
    def request_organizer_role(self, command: RequestOrganizerRole) -> OrganizerRequest:
        return request_organizer_role(self.services, command)

    def get_organizer_request(self, command: GetOrganizerRequest) -> OrganizerRequest:
        return get_organizer_request(self.services, command)

    def list_organizer_requests(self, command: ListOrganizerRequests) -> OrganizerRequestList:
        return list_organizer_requests(self.services, command)

    def approve_organizer_request(self, command: ApproveOrganizerRequest) -> OrganizerRequestView:
        return approve_organizer_request(self.services, command)

    def reject_organizer_request(self, command: RejectOrganizerRequest) -> OrganizerRequestView:
        return reject_organizer_request(self.services, command)

    def create_admin(self, command: CreateAdmin) -> User:
        return create_admin(self.services, command)

    # -- Google sign-in -------------------------------------------------------------------
    def start_google_sign_in(self, command: StartGoogleSignIn) -> GoogleSignInStarted:
        return start_google_sign_in(self.services, command)

    def complete_google_sign_in(self, command: CompleteGoogleSignIn) -> TokenPair:
        return complete_google_sign_in(self.services, command)

    # -- organizer side -------------------------------------------------------------------
    def create_organizer(self, command: CreateOrganizer) -> Organizer:
        return create_organizer(self.services, command)

    def create_event(self, command: CreateEvent) -> Event:
        return create_event(self.services, command)

    def update_event(self, command: UpdateEvent) -> Event:
        return update_event(self.services, command)

    def publish_event(self, command: PublishEvent) -> Event:
        return publish_event(self.services, command)

    def cancel_event(self, command: CancelEvent) -> CancelledEvent:
        return cancel_event(self.services, command)

    def create_ticket_type(self, command: CreateTicketType) -> TicketType:
        return create_ticket_type(self.services, command)

    def update_ticket_type(self, command: UpdateTicketType) -> TicketType:
        return update_ticket_type(self.services, command)

    def create_quota(self, command: CreateQuota) -> Quota:
        return create_quota(self.services, command)

    def resize_quota(self, command: ResizeQuota) -> Quota:
        return resize_quota(self.services, command)

    def create_promo_code(self, command: CreatePromoCode) -> PromoCode:
        return create_promo_code(self.services, command)

    def refund_order(self, command: RefundOrder) -> Order:
        return refund_order(self.services, command)

    def record_payout(self, command: RecordPayout) -> bool:
        return record_payout(self.services, command)

    def organizer_metrics(self, command: GetOrganizerMetrics) -> OrganizerMetrics:
        return organizer_metrics(self.services, command)

    def list_organizer_events(self, command: ListOrganizerEvents) -> tuple[Event, ...]:
        return list_organizer_events(self.services, command)

    def get_organizer_event(self, command: GetOrganizerEvent) -> OrganizerEvent:
        return get_organizer_event(self.services, command)

    def issue_staff_credential(self, command: IssueStaffCredential) -> IssuedStaffCredential:
        return issue_staff_credential(self.services, command)

    def list_staff_credentials(self, command: ListStaffCredentials) -> tuple[StaffCredential, ...]:
        return list_staff_credentials(self.services, command)

    def revoke_staff_credential(self, command: RevokeStaffCredential) -> StaffCredential:
        return revoke_staff_credential(self.services, command)

    # -- API keys -------------------------------------------------------------------------
    def issue_api_key(self, command: IssueApiKey) -> IssuedApiKey:
        return issue_api_key(self.services, command)

    def list_api_keys(self, command: ListApiKeys) -> tuple[ApiKeyView, ...]:
        return list_api_keys(self.services, command)

    def revoke_api_key(self, command: RevokeApiKey) -> ApiKeyView:
        return revoke_api_key(self.services, command)

    def authenticate_api_key(self, command: AuthenticateApiKey) -> Principal:
        return authenticate_api_key(self.services, command)

    # -- buyer side -----------------------------------------------------------------------
    def place_order(self, command: PlaceOrder) -> PlacedOrder:
        return place_order(self.services, command)

    def confirm_payment(self, command: ConfirmPayment) -> PaymentConfirmation:
        return confirm_payment(self.services, command)

    def cancel_order(self, command: CancelOrder) -> Order:
        return cancel_order(self.services, command)

    def get_order(self, command: GetOrder) -> OrderDetails:
        return get_order(self.services, command)

    def list_events(self, command: ListEvents | None = None) -> EventList:
        return list_events(self.services, command or ListEvents())

    def get_event(self, command: GetEvent) -> EventPage:
        return get_event(self.services, command)

    def get_checkout(self, command: GetCheckout) -> CheckoutView:
        return get_checkout(self.services, command)

    # -- door and worker ------------------------------------------------------------------
    def authenticate_staff(self, command: AuthenticateStaff) -> Principal:
        return authenticate_staff(self.services, command)

    def check_in(self, command: CheckInTicket) -> ScanResult:
        return check_in(self.services, command)

    def expire_holds(self, command: ExpireHolds | None = None) -> ExpiredHolds:
        return expire_holds(self.services, command or ExpireHolds())

    def process_outbox(self, command: ProcessOutbox | None = None) -> OutboxRun:
        return process_outbox(self.services, command or ProcessOutbox())

    def list_dead_messages(
        self, command: ListDeadMessages | None = None
    ) -> tuple[OutboxMessage, ...]:
        return list_dead_messages(self.services, command or ListDeadMessages())

    def retry_dead_messages(self, command: RetryDeadMessages) -> int:
        return retry_dead_messages(self.services, command)
