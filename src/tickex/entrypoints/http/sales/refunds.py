"""``/v1/organizer/orders/{order_id}/refund``: an organizer refunds an order of one of their
events (the shared guards and the ``organizer`` dependency: ``http/organizer.py``), with an
optional ``Idempotency-Key`` in the organizer's key space (``http/idempotency.py``)."""

from __future__ import annotations

from litestar import Response, post
from litestar.params import JSONBody

from tickex.application.sales.refund_order import RefundOrder
from tickex.domain.identity import ApiScope
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.idempotency import REPLAYED, IdempotencyKey, answered, json_text
from tickex.entrypoints.http.organizer import Organizer, OrganizerController, organizer_route
from tickex.entrypoints.http.routes import PathId
from tickex.entrypoints.http.sales import schemas


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
        if idempotency_key is None:
            return Response(schemas.order_without_tickets(tickex.refund_order(command)))
        answer = tickex.refund_order_idempotently(
            command, idempotency_key, lambda order: json_text(schemas.order_without_tickets(order))
        )
        return answered(answer, 200)
