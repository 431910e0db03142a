"""``/v1/orders``: a buyer places, reads and cancels an order (no account needed: the
order id and the email it was placed with identify the buyer), and finds it by its human
code and the email (``POST /v1/orders/lookup``: a body, so the email stays out of URLs and
access logs). Placing takes an optional ``Idempotency-Key`` (``http/idempotency.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from tickex.application.command import EMAIL_PATTERN
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.find_order import FindOrder
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import PlaceOrder
from tickex.entrypoints.http.dependencies import App
from tickex.entrypoints.http.guards import NO_STORE
from tickex.entrypoints.http.idempotency import (
    REPLAYED,
    IdempotencyKey,
    answered,
    json_response,
    json_text,
)
from tickex.entrypoints.http.observability import HttpMetrics
from tickex.entrypoints.http.routes import PathId, operation
from tickex.entrypoints.http.sales import schemas


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]
    cache_control = NO_STORE  # orders carry ticket tokens

    @operation(
        post, "/", "placeOrder", "Hold tickets and start the payment", 404, 409, 429, 503,
        body=True, status_code=201, response_headers=[REPLAYED],
    )  # fmt: skip
    def place_order(
        self, request: Request[Any, Any, Any], data: JSONBody[schemas.PlaceOrderInput],
        tickex: App, idempotency_key: IdempotencyKey = None,
    ) -> Response[schemas.PlacedOrderOut]:  # fmt: skip
        # the metrics from the app's state: a second dependency costs a task group per order
        metrics: HttpMetrics = request.app.state.metrics
        command = PlaceOrder(**data.model_dump())
        if idempotency_key is None:
            placed = tickex.place_order(command)
            metrics.orders_placed.inc()
            # the bytes pydantic writes, as a keyed answer's: no dump to a dict to encode again
            return json_response(schemas.placed_order(placed), 201)
        answer = tickex.place_order_idempotently(
            command, idempotency_key, lambda placed: json_text(schemas.placed_order(placed))
        )
        if not answer.replayed:
            metrics.orders_placed.inc()
        return answered(answer, 201)

    @operation(
        get, "/{order_id:str}", "getOrder",
        "The buyer's order and tickets (a wrong email answers 404)", 404, 422,
    )  # fmt: skip
    def get_order(
        self,
        tickex: App,
        order_id: PathId,
        email: Annotated[str, Parameter(max_length=254, pattern=EMAIL_PATTERN)],
    ) -> schemas.OrderOut:
        details = tickex.get_order(GetOrder(order_id=order_id, customer_email=email))
        return schemas.order(details)

    @operation(
        post, "/lookup", "findOrder",
        "The buyer's order and tickets by its code and email (a wrong email answers 404)",
        404, 429, body=True, status_code=200,
    )  # fmt: skip
    def find_order(self, tickex: App, data: JSONBody[schemas.FindOrderInput]) -> schemas.OrderOut:
        details = tickex.find_order(FindOrder(order_code=data.order_code,
                                              customer_email=data.email))  # fmt: skip
        return schemas.order(details)

    @operation(
        post, "/{order_id:str}/cancel", "cancelOrder",
        "Cancel a pending order and release its tickets", 404, 409, body=True, status_code=200,
    )  # fmt: skip
    def cancel_order(
        self, tickex: App, order_id: PathId, data: JSONBody[schemas.CancelOrderInput]
    ) -> schemas.OrderOut:
        cancelled = tickex.cancel_order(
            CancelOrder(order_id=order_id, customer_email=data.email, reason=data.reason)
        )
        return schemas.order_without_tickets(cancelled)
