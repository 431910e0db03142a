"""Refunds over HTTP: ``/v1/organizer/orders/{order_id}/refund``, an organizer refunds an
order of one of their events (the shared guards and the ``organizer`` dependency:
``http/organizer.py``); ``/v1/admin/orders/{order_id}/refund``, an admin refunds an order
of any organizer's (behind the admin role, 403 otherwise; the use case checks the actor
once more). Both take the same body and answer the same order, with an optional
``Idempotency-Key`` in the caller's key space (the organizer's, or the admin's own:
``http/idempotency.py``)."""

from __future__ import annotations

from litestar import Response, post
from litestar.params import JSONBody

from tickex.application.sales.refund_order import AdminRefundOrder, RefundOrder
from tickex.domain.identity import ApiScope, Role
from tickex.entrypoints.http.dependencies import App, CurrentPrincipal
from tickex.entrypoints.http.guards import BEARER, authenticated, require_role
from tickex.entrypoints.http.idempotency import REPLAYED, IdempotencyKey, answered, json_text
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route
from tickex.entrypoints.http.routes import AdminController, PathId, operation
from tickex.entrypoints.http.sales import schemas


def refunded(
    tickex: App, command: RefundOrder | AdminRefundOrder, idempotency_key: str | None
) -> Response[schemas.OrderOut]:
    """The refund's answer: the order without its tickets (with a key, the stored text)."""
    if idempotency_key is None:
        return Response(schemas.order_without_tickets(tickex.refund_order(command)))
    answer = tickex.refund_order_idempotently(
        command, idempotency_key, lambda order: json_text(schemas.order_without_tickets(order))
    )
    return answered(answer, 200)


class OrganizerRefundController(OrganizerController):
    @organizer_route(
        post, "/orders/{order_id:str}/refund", "refundOrder", ApiScope.ORDERS_REFUND,
        "Refund an order: all of it, chosen tickets, or an amount", 404, 409, body=True,
        status_code=200, response_headers=[REPLAYED],
    )  # fmt: skip
    def refund_order(
        self, data: JSONBody[schemas.RefundOrderInput], tickex: App, organizer: Organizer,
        order_id: PathId, idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.OrderOut]:  # fmt: skip
        command = RefundOrder(organizer_id=organizer, order_id=order_id, **data.model_dump())
        return refunded(tickex, command, idempotency_key)


class AdminRefundController(AdminController):
    path = "/v1/admin/orders"
    guards = [authenticated, require_role(Role.ADMIN)]
    security = BEARER

    @operation(
        post, "/{order_id:str}/refund", "adminRefundOrder",
        "Refund any organizer's order: all of it, chosen tickets, or an amount (admins only)",
        401, 403, 404, 409, body=True, status_code=200, response_headers=[REPLAYED],
    )  # fmt: skip
    def refund_order(
        self, data: JSONBody[schemas.RefundOrderInput], tickex: App,
        principal: CurrentPrincipal, order_id: PathId, idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.OrderOut]:  # fmt: skip
        command = AdminRefundOrder(actor=principal, order_id=order_id, **data.model_dump())
        return refunded(tickex, command, idempotency_key)
