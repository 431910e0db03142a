"""TickEx: a ticketing marketplace backend as a library.

from tickex import TickEx, CreateOrganizer, ...
app = TickEx.in_memory()
"""

from tickex.application.cancel_event import CancelEvent
from tickex.application.cancel_order import CancelOrder
from tickex.application.check_in import CheckInTicket
from tickex.application.confirm_payment import ConfirmPayment, Outcome
from tickex.application.create_event import CreateEvent
from tickex.application.create_organizer import CreateOrganizer
from tickex.application.create_promo_code import CreatePromoCode
from tickex.application.create_quota import CreateQuota, ResizeQuota
from tickex.application.create_ticket_type import CreateTicketType
from tickex.application.event_input import GeoInput, RefundPolicyInput, SettingsInput, VenueInput
from tickex.application.expire_holds import ExpireHolds
from tickex.application.get_order import GetOrder
from tickex.application.organizer_metrics import GetOrganizerMetrics
from tickex.application.place_order import OrderItem, PlaceOrder
from tickex.application.process_outbox import ProcessOutbox
from tickex.application.publish_event import PublishEvent
from tickex.application.record_payout import RecordPayout
from tickex.application.refund_order import RefundOrder
from tickex.application.update_event import UpdateEvent
from tickex.application.update_ticket_type import UpdateTicketType
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
