"""``/v1/orders``: a buyer places, reads and cancels an order (no account needed: the
order id and the email it was placed with identify the buyer)."""

from __future__ import annotations

from typing import Annotated, get_args

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import JSONBody, Parameter

from tickex.application.command import Email
from tickex.application.sales.cancel_order import CancelOrder
from tickex.application.sales.get_order import GetOrder
from tickex.application.sales.place_order import OrderItem, PlaceOrder
from tickex.entrypoints.http import schemas
from tickex.entrypoints.http.dependencies import App, Metrics
from tickex.entrypoints.http.guards import require_json
from tickex.entrypoints.http.problems import problem_responses

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
EMAIL_PATTERN: str = get_args(Email)[1].pattern  # the application's own email rule
NO_STORE = CacheControlHeader(no_store=True)  # orders carry ticket tokens

OrderId = Annotated[str, Parameter(min_length=1, max_length=64, pattern=ID_PATTERN)]


class OrderController(Controller):
    path = "/v1/orders"
    tags = ["orders"]
    cache_control = NO_STORE

    @post(
        "/",
        operation_id="placeOrder",
        summary="Hold tickets and start the payment",
        status_code=201,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(404, 409, 415, 422, 429, 503),
    )
    def place_order(
        self, data: JSONBody[schemas.PlaceOrderInput], tickex: App, metrics: Metrics
    ) -> schemas.PlacedOrderOut:
        placed = tickex.place_order(
            PlaceOrder(
                event_id=data.event_id, event_slug=data.event_slug,
                items=[OrderItem(ticket_type_id=i.ticket_type_id, quantity=i.quantity)
                       for i in data.items],
                customer_email=data.customer_email,
                customer_name=data.customer_name,
                promo_code=data.promo_code,
                expected_total_minor=data.expected_total_minor,
            )
        )  # fmt: skip
        metrics.orders_placed.inc()
        return schemas.placed_order(placed)

    @get(
        "/{order_id:str}",
        operation_id="getOrder",
        summary="The buyer's order and tickets (a wrong email answers 404)",
        sync_to_thread=True,
        responses=problem_responses(404, 422),
    )
    def get_order(
        self,
        tickex: App,
        order_id: OrderId,
        email: Annotated[str, Parameter(max_length=254, pattern=EMAIL_PATTERN)],
    ) -> schemas.OrderOut:
        details = tickex.get_order(GetOrder(order_id=order_id, customer_email=email))
        return schemas.order(details)

    @post(
        "/{order_id:str}/cancel",
        operation_id="cancelOrder",
        summary="Cancel a pending order and release its tickets",
        status_code=200,
        sync_to_thread=True,
        guards=[require_json],
        responses=problem_responses(404, 409, 415, 422),
    )
    def cancel_order(
        self, tickex: App, order_id: OrderId, data: JSONBody[schemas.CancelOrderInput]
    ) -> schemas.OrderOut:
        cancelled = tickex.cancel_order(
            CancelOrder(order_id=order_id, customer_email=data.email, reason=data.reason)
        )
        return schemas.order_without_tickets(cancelled)
