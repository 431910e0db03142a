"""``/v1/organizer``: an organizer runs the catalogue of their events over HTTP: the events,
the ticket types they sell, the quotas those draw from and their promo codes (the shared
guards and the ``organizer`` dependency: ``http/organizer.py``)."""

from __future__ import annotations

from litestar import get, patch, post
from litestar.params import JSONBody

from tickex.application.catalog.cancel_event import CancelEvent
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_quota import CreateQuota
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.organizer_events import GetOrganizerEvent, ListOrganizerEvents
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.catalog.update_event import UpdateEvent
from tickex.application.catalog.update_ticket_type import UpdateTicketType
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.catalog import schemas
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route
from tickex.entrypoints.http.routes import PathId
from tickex.facade import TickEx

READ, WRITE = ApiScope.EVENTS_READ, ApiScope.EVENTS_WRITE
REFUND = ApiScope.ORDERS_REFUND  # cancelling an event refunds its paid orders
EVENT = "/events/{event_id:str}"


class OrganizerEventController(OrganizerController):
    # -- events ---------------------------------------------------------------------------
    @organizer_route(
        post, "/events", "createEvent", WRITE, "Create a draft event", 404, 409, body=True,
        status_code=201,
    )  # fmt: skip
    def create_event(
        self, data: JSONBody[schemas.CreateEventInput], tickex: App, organizer: Organizer
    ) -> schemas.OrganizerEventOut:
        event = tickex.create_event(
            CreateEvent(organizer_id=organizer, **schemas.event_fields(data))
        )
        return _event(tickex, organizer, event.id)

    @organizer_route(
        get, "/events", "listOrganizerEvents", READ,
        "The organizer's events, drafts and cancelled ones included", 404,
    )  # fmt: skip
    def list_events(self, tickex: App, organizer: Organizer) -> schemas.OrganizerEventListOut:
        events = tickex.list_organizer_events(ListOrganizerEvents(organizer_id=organizer))
        return schemas.OrganizerEventListOut(items=[schemas.event_summary(e) for e in events])

    @organizer_route(
        get, EVENT, "getOrganizerEvent", READ,
        "One of the organizer's events with every ticket type, quota and promo code", 404, 422,
    )  # fmt: skip
    def get_event(
        self, tickex: App, organizer: Organizer, event_id: PathId
    ) -> schemas.OrganizerEventOut:
        return _event(tickex, organizer, event_id)

    @organizer_route(
        patch, EVENT, "updateEvent", WRITE, "Change an event's details (only the fields given)",
        404, 409, body=True,
    )  # fmt: skip
    def update_event(
        self, data: JSONBody[schemas.UpdateEventInput], tickex: App, organizer: Organizer,
        event_id: PathId,
    ) -> schemas.OrganizerEventOut:  # fmt: skip
        fields = schemas.event_fields(data, exclude_unset=True)
        tickex.update_event(UpdateEvent(organizer_id=organizer, event_id=event_id, **fields))
        return _event(tickex, organizer, event_id)

    @organizer_route(
        post, f"{EVENT}/publish", "publishEvent", WRITE,
        "Put a draft event on sale (it needs a ticket type)", 404, 409, 422, status_code=200,
    )  # fmt: skip
    def publish_event(
        self, tickex: App, organizer: Organizer, event_id: PathId
    ) -> schemas.OrganizerEventOut:
        tickex.publish_event(PublishEvent(organizer_id=organizer, event_id=event_id))
        return _event(tickex, organizer, event_id)

    @organizer_route(
        post, f"{EVENT}/cancel", "cancelEvent", REFUND,
        "Call an event off: pending orders are cancelled, paid ones refunded", 404, 409, 422,
        status_code=200,
    )  # fmt: skip
    def cancel_event(
        self, tickex: App, organizer: Organizer, event_id: PathId
    ) -> schemas.CancelledEventOut:
        result = tickex.cancel_event(CancelEvent(organizer_id=organizer, event_id=event_id))
        return schemas.cancelled_event(result)

    # -- what an event sells --------------------------------------------------------------
    @organizer_route(
        post, f"{EVENT}/ticket-types", "createTicketType", WRITE,
        "Add a ticket type (with its own quota of quantity_total)", 404, 409, body=True,
        status_code=201,
    )  # fmt: skip
    def create_ticket_type(
        self, data: JSONBody[schemas.CreateTicketTypeInput], tickex: App, organizer: Organizer,
        event_id: PathId,
    ) -> schemas.OrganizerTicketTypeOut:  # fmt: skip
        command = CreateTicketType(organizer_id=organizer, event_id=event_id, **data.model_dump())
        return schemas.organizer_ticket_type(tickex.create_ticket_type(command))

    @organizer_route(
        patch, "/ticket-types/{ticket_type_id:str}", "updateTicketType", WRITE,
        "Change a ticket type (only the fields given)", 404, 409, body=True,
    )  # fmt: skip
    def update_ticket_type(
        self, data: JSONBody[schemas.UpdateTicketTypeInput], tickex: App, organizer: Organizer,
        ticket_type_id: PathId,
    ) -> schemas.OrganizerTicketTypeOut:  # fmt: skip
        command = UpdateTicketType(
            organizer_id=organizer, ticket_type_id=ticket_type_id,
            **data.model_dump(exclude_unset=True),
        )  # fmt: skip
        return schemas.organizer_ticket_type(tickex.update_ticket_type(command))

    @organizer_route(
        post, f"{EVENT}/quotas", "createQuota", WRITE,
        "Add a shared pool of capacity (a room, a VIP area)", 404, body=True, status_code=201,
    )  # fmt: skip
    def create_quota(
        self, data: JSONBody[schemas.CreateQuotaInput], tickex: App, organizer: Organizer,
        event_id: PathId,
    ) -> schemas.QuotaOut:  # fmt: skip
        command = CreateQuota(organizer_id=organizer, event_id=event_id, **data.model_dump())
        return schemas.quota(tickex.create_quota(command))

    @organizer_route(
        post, f"{EVENT}/promo-codes", "createPromoCode", WRITE,
        "Add a percent or fixed discount code", 404, 409, body=True, status_code=201,
    )  # fmt: skip
    def create_promo_code(
        self, data: JSONBody[schemas.CreatePromoCodeInput], tickex: App, organizer: Organizer,
        event_id: PathId,
    ) -> schemas.PromoCodeOut:  # fmt: skip
        command = CreatePromoCode(organizer_id=organizer, event_id=event_id, **data.model_dump())
        return schemas.promo_code(tickex.create_promo_code(command))


def _event(tickex: TickEx, organizer: str, event_id: str) -> schemas.OrganizerEventOut:
    view = tickex.get_organizer_event(GetOrganizerEvent(organizer_id=organizer, event_id=event_id))
    return schemas.organizer_event(view)
