"""TickEx: a ticketing marketplace backend as a library.

from tickex import TickEx, CreateOrganizer, ...
app = TickEx.in_memory()
"""

from tickex.application.catalog.cancel_event import CancelEvent
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_quota import CreateQuota, ResizeQuota
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import (
    GeoInput,
    RefundPolicyInput,
    SettingsInput,
    VenueInput,
)
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.catalog.update_event import UpdateEvent
from tickex.application.catalog.update_ticket_type import UpdateTicketType
from tickex.application.delivery.process_outbox import ProcessOutbox
from tickex.application.door.check_in import CheckInTicket
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.finance.record_payout import RecordPayout
from tickex.application.organizers.create_organizer import CreateOrganizer
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.confirm_payment import ConfirmPayment, Outcome
from tickex.application.sales.expire_holds import ExpireHolds
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.errors import DomainError
from tickex.domain.money import Money
from tickex.facade import TickEx
from tickex.settings import Settings, SettingsError

__version__ = "0.1.0"

__all__ = [
    "CancelEvent",
    "CancelOrder",
    "CheckInTicket",
    "ConfirmPayment",
    "CreateEvent",
    "CreateOrganizer",
    "CreatePromoCode",
    "CreateQuota",
    "CreateTicketType",
    "DomainError",
    "ExpireHolds",
    "GeoInput",
    "GetOrder",
    "GetOrganizerMetrics",
    "Money",
    "OrderItem",
    "Outcome",
    "PlaceOrder",
    "ProcessOutbox",
    "PublishEvent",
    "RecordPayout",
    "RefundOrder",
    "RefundPolicyInput",
    "ResizeQuota",
    "Settings",
    "SettingsError",
    "SettingsInput",
    "TickEx",
    "UpdateEvent",
    "UpdateTicketType",
    "VenueInput",
]
