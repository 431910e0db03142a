"""``/v1/organizer``: an organizer runs their events over HTTP.

Every route is behind the bearer guard (``authenticated``) and the organizer role
(``require_role``); the organizer acted for is the signed-in user's (or the API key's),
never one named in a path or a body (the strict inputs refuse ``organizer_id``). The use
cases scope every id to that organizer: another organizer's event, ticket type or order
answers 404 exactly like an unknown one. Money goes in and out as integer minor units (out
with its currency).

Every route names the one ``ApiScope`` an organizer's API key needs to call it
(``opt={API_SCOPE: ...}``); a user's own access token is not limited by scopes.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import JSONBody, Parameter

from tickex.application.catalog.cancel_event import CancelEvent
from tickex.application.catalog.create_event import CreateEvent
from tickex.application.catalog.create_promo_code import CreatePromoCode
from tickex.application.catalog.create_quota import CreateQuota
from tickex.application.catalog.create_ticket_type import CreateTicketType
from tickex.application.catalog.event_input import SettingsInput, VenueInput
from tickex.application.catalog.organizer_events import GetOrganizerEvent, ListOrganizerEvents
from tickex.application.catalog.publish_event import PublishEvent
from tickex.application.catalog.update_event import UpdateEvent
from tickex.application.catalog.update_ticket_type import UpdateTicketType
from tickex.application.door.issue_staff_credential import IssueStaffCredential
from tickex.application.door.list_staff_credentials import ListStaffCredentials
from tickex.application.door.revoke_staff_credential import RevokeStaffCredential
from tickex.application.finance.organizer_metrics import GetOrganizerMetrics
from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http import schemas
from tickex.entrypoints.http.auth import (
    API_SCOPE,
    BEARER,
    NO_STORE,
    authenticated,
    require_role,
)
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.orders import ID_PATTERN
from tickex.entrypoints.http.problems import problem_responses

PathId = Annotated[str, Parameter(min_length=1, max_length=64, pattern=ID_PATTERN)]


def organizer_id(principal: Principal) -> str:
    """The organizer the signed-in user (or the API key) acts for (403 ``forbidden`` if
    none)."""
    if principal.organizer_id is None or Role.ORGANIZER not in principal.roles:
        raise Forbidden("this needs an organizer account")
    return principal.organizer_id


def _settings(body: schemas.EventSettingsBody) -> SettingsInput:
    return SettingsInput.model_validate(body.model_dump())


def _venue(body: schemas.VenueBody) -> VenueInput:
    return VenueInput.model_validate(body.model_dump())


class OrganizerController(Controller):
    path = "/v1/organizer"
    tags = ["organizer"]
    cache_control = NO_STORE
    guards = [authenticated, require_role(Role.ORGANIZER)]
    security = BEARER

    # -- events ---------------------------------------------------------------------------
    @post(
        "/events",
        operation_id="createEvent",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Create a draft event",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def create_event(
        self, data: JSONBody[schemas.CreateEventInput], tickex: App, principal: CurrentPrincipal
    ) -> schemas.OrganizerEventOut:
        event = tickex.create_event(
            CreateEvent(
                organizer_id=organizer_id(principal),
                title=data.title,
                slug=data.slug,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                venue=_venue(data.venue),
                description=data.description,
                settings=_settings(data.settings),
                capacity=data.capacity,
            )
        )
        return self._event(tickex, principal, event.id)

    @get(
        "/events",
        operation_id="listOrganizerEvents",
        opt={API_SCOPE: ApiScope.EVENTS_READ},
        summary="The organizer's events, drafts and cancelled ones included",
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404),
    )
    def list_events(
        self, tickex: App, principal: CurrentPrincipal
    ) -> schemas.OrganizerEventListOut:
        events = tickex.list_organizer_events(
            ListOrganizerEvents(organizer_id=organizer_id(principal))
        )
        return schemas.OrganizerEventListOut(items=[schemas.event_summary(e) for e in events])

    @get(
        "/events/{event_id:str}",
        operation_id="getOrganizerEvent",
        opt={API_SCOPE: ApiScope.EVENTS_READ},
        summary="One of the organizer's events with every ticket type, quota and promo code",
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 422),
    )
    def get_event(
        self, tickex: App, principal: CurrentPrincipal, event_id: PathId
    ) -> schemas.OrganizerEventOut:
        return self._event(tickex, principal, event_id)

    @patch(
        "/events/{event_id:str}",
        operation_id="updateEvent",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Change an event's details (only the fields given)",
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def update_event(
        self,
        data: JSONBody[schemas.UpdateEventInput],
        tickex: App,
        principal: CurrentPrincipal,
        event_id: PathId,
    ) -> schemas.OrganizerEventOut:
        given = data.model_dump(exclude_unset=True, exclude={"venue", "settings"})
        tickex.update_event(
            UpdateEvent(
                organizer_id=organizer_id(principal),
                event_id=event_id,
                venue=_venue(data.venue) if data.venue else None,
                settings=_settings(data.settings) if data.settings else None,
                **given,
            )
        )
        return self._event(tickex, principal, event_id)

    @post(
        "/events/{event_id:str}/publish",
        operation_id="publishEvent",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Put a draft event on sale (it needs a ticket type)",
        status_code=200,
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    def publish_event(
        self, tickex: App, principal: CurrentPrincipal, event_id: PathId
    ) -> schemas.OrganizerEventOut:
        tickex.publish_event(PublishEvent(organizer_id=organizer_id(principal), event_id=event_id))
        return self._event(tickex, principal, event_id)

    @post(
        "/events/{event_id:str}/cancel",
        operation_id="cancelEvent",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Call an event off: pending orders are cancelled, paid ones refunded",
        status_code=200,
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 409, 422),
    )
    def cancel_event(
        self, tickex: App, principal: CurrentPrincipal, event_id: PathId
    ) -> schemas.CancelledEventOut:
        result = tickex.cancel_event(
            CancelEvent(organizer_id=organizer_id(principal), event_id=event_id)
        )
        return schemas.CancelledEventOut(
            event=schemas.event_summary(result.event),
            orders_cancelled=result.orders_cancelled,
            orders_refunded=result.orders_refunded,
            failures=list(result.failures),
        )

    # -- what an event sells --------------------------------------------------------------
    @post(
        "/events/{event_id:str}/ticket-types",
        operation_id="createTicketType",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Add a ticket type (with its own quota of quantity_total)",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def create_ticket_type(
        self,
        data: JSONBody[schemas.CreateTicketTypeInput],
        tickex: App,
        principal: CurrentPrincipal,
        event_id: PathId,
    ) -> schemas.OrganizerTicketTypeOut:
        created = tickex.create_ticket_type(
            CreateTicketType(
                organizer_id=organizer_id(principal), event_id=event_id, **data.model_dump()
            )
        )
        return schemas.organizer_ticket_type(created)

    @patch(
        "/ticket-types/{ticket_type_id:str}",
        operation_id="updateTicketType",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Change a ticket type (only the fields given)",
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def update_ticket_type(
        self,
        data: JSONBody[schemas.UpdateTicketTypeInput],
        tickex: App,
        principal: CurrentPrincipal,
        ticket_type_id: PathId,
    ) -> schemas.OrganizerTicketTypeOut:
        updated = tickex.update_ticket_type(
            UpdateTicketType(
                organizer_id=organizer_id(principal),
                ticket_type_id=ticket_type_id,
                **data.model_dump(exclude_unset=True),
            )
        )
        return schemas.organizer_ticket_type(updated)

    @post(
        "/events/{event_id:str}/quotas",
        operation_id="createQuota",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Add a shared pool of capacity (a room, a VIP area)",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 415, 422),
    )
    def create_quota(
        self,
        data: JSONBody[schemas.CreateQuotaInput],
        tickex: App,
        principal: CurrentPrincipal,
        event_id: PathId,
    ) -> schemas.QuotaOut:
        created = tickex.create_quota(
            CreateQuota(
                organizer_id=organizer_id(principal), event_id=event_id, name=data.name,
                size=data.size,
            )
        )  # fmt: skip
        return schemas.quota(created)

    @post(
        "/events/{event_id:str}/promo-codes",
        operation_id="createPromoCode",
        opt={API_SCOPE: ApiScope.EVENTS_WRITE},
        summary="Add a percent or fixed discount code",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def create_promo_code(
        self,
        data: JSONBody[schemas.CreatePromoCodeInput],
        tickex: App,
        principal: CurrentPrincipal,
        event_id: PathId,
    ) -> schemas.PromoCodeOut:
        created = tickex.create_promo_code(
            CreatePromoCode(
                organizer_id=organizer_id(principal), event_id=event_id, **data.model_dump()
            )
        )
        return schemas.promo_code(created)

    # -- staff devices at the door ----------------------------------------------------------
    @post(
        "/events/{event_id:str}/staff-credentials",
        operation_id="issueStaffCredential",
        opt={API_SCOPE: ApiScope.STAFF_WRITE},
        summary="A door-scanner token for the event (the token is shown this once)",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 415, 422),
    )
    def issue_staff_credential(
        self,
        data: JSONBody[schemas.IssueStaffCredentialInput],
        tickex: App,
        principal: CurrentPrincipal,
        event_id: PathId,
    ) -> schemas.IssuedStaffCredentialOut:
        issued = tickex.issue_staff_credential(
            IssueStaffCredential(
                organizer_id=organizer_id(principal), event_id=event_id, label=data.label
            )
        )
        return schemas.IssuedStaffCredentialOut(
            token=issued.token, credential=schemas.staff_credential(issued.credential)
        )

    @get(
        "/events/{event_id:str}/staff-credentials",
        operation_id="listStaffCredentials",
        opt={API_SCOPE: ApiScope.STAFF_READ},
        summary="The event's door-scanner tokens (never the secrets), revoked ones included",
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 422),
    )
    def list_staff_credentials(
        self, tickex: App, principal: CurrentPrincipal, event_id: PathId
    ) -> schemas.StaffCredentialListOut:
        credentials = tickex.list_staff_credentials(
            ListStaffCredentials(organizer_id=organizer_id(principal), event_id=event_id)
        )
        return schemas.StaffCredentialListOut(
            items=[schemas.staff_credential(c) for c in credentials]
        )

    @post(
        "/staff-credentials/{credential_id:str}/revoke",
        operation_id="revokeStaffCredential",
        opt={API_SCOPE: ApiScope.STAFF_WRITE},
        summary="Revoke a door-scanner token; it stops working at once",
        status_code=200,
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404, 422),
    )
    def revoke_staff_credential(
        self, tickex: App, principal: CurrentPrincipal, credential_id: PathId
    ) -> schemas.StaffCredentialOut:
        revoked = tickex.revoke_staff_credential(
            RevokeStaffCredential(organizer_id=organizer_id(principal), credential_id=credential_id)
        )
        return schemas.staff_credential(revoked)

    # -- orders and money -----------------------------------------------------------------
    @post(
        "/orders/{order_id:str}/refund",
        operation_id="refundOrder",
        opt={API_SCOPE: ApiScope.ORDERS_REFUND},
        summary="Refund an order: all of it, chosen tickets, or an amount",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(401, 403, 404, 409, 415, 422),
    )
    def refund_order(
        self,
        data: JSONBody[schemas.RefundOrderInput],
        tickex: App,
        principal: CurrentPrincipal,
        order_id: PathId,
    ) -> schemas.OrderOut:
        refunded = tickex.refund_order(
            RefundOrder(
                organizer_id=organizer_id(principal), order_id=order_id,
                ticket_ids=data.ticket_ids, amount_minor=data.amount_minor, reason=data.reason,
            )
        )  # fmt: skip
        return schemas.order_without_tickets(refunded)

    @get(
        "/metrics",
        operation_id="getOrganizerMetrics",
        opt={API_SCOPE: ApiScope.METRICS_READ},
        summary="Live sales per event and ticket type, and money per currency",
        sync_to_thread=True,
        responses=problem_responses(401, 403, 404),
    )
    def get_metrics(self, tickex: App, principal: CurrentPrincipal) -> schemas.OrganizerMetricsOut:
        metrics = tickex.organizer_metrics(
            GetOrganizerMetrics(organizer_id=organizer_id(principal))
        )
        return schemas.organizer_metrics(metrics)

    @staticmethod
    def _event(tickex: App, principal: Principal, event_id: str) -> schemas.OrganizerEventOut:
        view = tickex.get_organizer_event(
            GetOrganizerEvent(organizer_id=organizer_id(principal), event_id=event_id)
        )
        return schemas.organizer_event(view)
