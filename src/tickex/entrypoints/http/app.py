"""``create_app``: the Litestar application around one ``TickEx``.

The ``TickEx`` object is the bridge to the container: controllers receive it (and the
application's metrics) through Litestar's ``Provide`` and call one use case per request.
Nothing is built at import time; every call builds a new, independent application.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, OpenAPIResponse, SecurityScheme, Server
from litestar.static_files import create_static_files_router

import tickex
from tickex.entrypoints.http.bodies import JsonRequest
from tickex.entrypoints.http.catalog.event_pages import ROUTE_TEMPLATE, EventPages, KeptPageShortcut
from tickex.entrypoints.http.catalog.events import EventController
from tickex.entrypoints.http.catalog.organizer_events import OrganizerEventController
from tickex.entrypoints.http.docs import STATIC_DIR, STATIC_PATH, SelfHostedSwagger, docs_handler
from tickex.entrypoints.http.door.scanning import ScanController
from tickex.entrypoints.http.door.staff_credentials import StaffCredentialController
from tickex.entrypoints.http.finance.metrics import OrganizerMetricsController
from tickex.entrypoints.http.guards import (
    API_KEY_SCHEME,
    BEARER_SCHEME,
    current_principal,
    document_api_key_scopes,
    require_json,
)
from tickex.entrypoints.http.idempotency import (
    IDEMPOTENCY_KEY_HEADER,
    REPLAYED_HEADER,
    document_idempotency_key,
)
from tickex.entrypoints.http.identity.account_pages import AccountPagesController
from tickex.entrypoints.http.identity.api_keys import ApiKeyController
from tickex.entrypoints.http.identity.auth import AdminUserController, AuthController, MeController
from tickex.entrypoints.http.identity.google import GoogleSignInController
from tickex.entrypoints.http.identity.recovery import RecoveryController
from tickex.entrypoints.http.observability import (
    REQUEST_ID_HEADER,
    HttpMetrics,
    RequestClockMiddleware,
    response_hook,
)
from tickex.entrypoints.http.operations import OperationsController
from tickex.entrypoints.http.organizers.payment_account import OrganizerPaymentAccountController
from tickex.entrypoints.http.organizers.requests import (
    AdminOrganizerRequestController,
    MyOrganizerRequestController,
)
from tickex.entrypoints.http.problems import exception_handlers
from tickex.entrypoints.http.rate_limit import (
    RATE_LIMIT_HEADERS,
    RateLimitMiddleware,
    RateLimits,
    RatePolicy,
)
from tickex.entrypoints.http.routes import AllowedMethods
from tickex.entrypoints.http.sales.checkout import CheckoutController
from tickex.entrypoints.http.sales.orders import OrderController
from tickex.entrypoints.http.sales.payment_reviews import AdminPaymentReviewController
from tickex.entrypoints.http.sales.refunds import AdminRefundController, OrganizerRefundController
from tickex.entrypoints.http.sales.stripe_webhook import StripeWebhookController
from tickex.entrypoints.http.schemas import Input
from tickex.entrypoints.http.worker import in_process_worker
from tickex.facade import TickEx

MAX_BODY_BYTES = 64 * 1024  # the largest order is a few kilobytes


def create_app(
    app: TickEx,
    *,
    cors_origins: Sequence[str] = (),
    worker_interval: float | None = None,
    trusted_proxies: Sequence[str] = (),
    rate_policies: Mapping[str, RatePolicy] | None = None,
    event_page_ttl: float = 0.0,
) -> Litestar:
    """The HTTP API for ``app``.

    ``cors_origins``: browser origins allowed to call the API (``TICKEX_CORS_ORIGINS``);
    none by default. ``worker_interval``: run the worker in-process every so many seconds
    (development); ``None`` leaves it to a worker process of its own.
    ``trusted_proxies``: addresses or CIDRs whose ``X-Forwarded-For`` is believed
    (``TICKEX_TRUSTED_PROXIES``). ``rate_policies``: the rate limits by operation id or
    ``"METHOD /path"`` (default: ``rate_limit.DEFAULT_POLICIES``; ``{}``: none), counted
    by ``app.rate_limiter``. ``event_page_ttl``: how long a rendered public event page is
    served from memory (``catalog/event_pages.py``; 0, the default here: never; the served
    application takes ``TICKEX_EVENT_PAGE_TTL``, one second by default).
    """
    limits = RateLimits.build(app.rate_limiter, rate_policies, trusted_proxies)
    event_pages = EventPages(event_page_ttl)
    metrics = HttpMetrics(app.outbox_backlog)
    allowed_methods = AllowedMethods()
    swagger = SelfHostedSwagger(path="/swagger")
    lifespan: list[Callable[[Litestar], AbstractAsyncContextManager[None]]] = []
    if worker_interval is not None:
        lifespan.append(in_process_worker(app, worker_interval))
    application = Litestar(
        route_handlers=[
            AuthController,
            RecoveryController,
            GoogleSignInController,
            MeController,
            AdminUserController,
            MyOrganizerRequestController,
            AdminOrganizerRequestController,
            AdminPaymentReviewController,
            AdminRefundController,
            EventController,
            OrderController,
            CheckoutController,
            StripeWebhookController,
            AccountPagesController,
            # the organizer's routes, one controller an area, in the document's order
            OrganizerEventController,
            StaffCredentialController,
            OrganizerRefundController,
            OrganizerMetricsController,
            OrganizerPaymentAccountController,
            ApiKeyController,
            ScanController,
            OperationsController,
            docs_handler(swagger),
            create_static_files_router(
                path=STATIC_PATH,
                directories=[STATIC_DIR],
                name="docs-assets",
                include_in_schema=False,
            ),
        ],
        dependencies={
            "tickex": Provide(lambda: app, use_cache=True, sync_to_thread=False),
            "metrics": Provide(lambda: metrics, use_cache=True, sync_to_thread=False),
            "principal": Provide(current_principal, sync_to_thread=False),
        },
        # for guards (they get no dependencies) and hooks
        state=State({"tickex": app, "event_pages": event_pages, "metrics": metrics}),
        exception_handlers=exception_handlers(),
        middleware=[RequestClockMiddleware([require_json]), RateLimitMiddleware(limits, metrics)],
        before_send=[response_hook(metrics), allowed_methods],
        cors_config=CORSConfig(
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                REQUEST_ID_HEADER,
                IDEMPOTENCY_KEY_HEADER,
            ],
            expose_headers=[REQUEST_ID_HEADER, *RATE_LIMIT_HEADERS, REPLAYED_HEADER],
            max_age=600,
        )
        if cors_origins
        else None,
        openapi_config=OpenAPIConfig(
            title="TickEx API",
            version=tickex.__version__,
            description="Public buyer API: events, orders and the local checkout; accounts; "
            "the organizer's events, ticket types, refunds and metrics (also with an "
            "organizer's scoped API key). Text is taken as sent, never trimmed: a one-line "
            "text field (not a password or token) that starts or ends with whitespace is "
            "refused (422, 'must not start or end with spaces'), so minLength and maxLength "
            "are exact.",
            path="/schema",
            servers=[Server(url="/")],
            render_plugins=[swagger, JsonRenderPlugin()],
            components=Components(
                security_schemes={
                    BEARER_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="JWT",
                        description="an access token from login or refreshToken",
                    ),
                    API_KEY_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="tkx_ak_...",
                        description="an organizer's API key from createApiKey (Authorization: "
                        "Bearer tkx_ak_...); each organizer route names the one scope it needs",
                    ),
                }
            ),
        ),
        lifespan=lifespan,
        request_max_body_size=MAX_BODY_BYTES,
        request_class=JsonRequest,  # a JSON body nested too deep is refused (bodies.py)
        logging_config=None,  # the host configures logging (``serve`` does: JSON lines)
        debug=False,
    )
    if event_pages.ttl > 0 and not {"getEvent", f"GET {ROUTE_TEMPLATE}"} & set(limits.policies):
        # kept pages are answered before routing (a rate-limited getEvent is routed)
        application.asgi_handler = KeptPageShortcut(
            application.asgi_handler, event_pages, cors=bool(cors_origins)
        )
    allowed_methods.learn(application)
    _document_strict_inputs(application)
    _document_body_limit(application)
    document_api_key_scopes(application)
    document_idempotency_key(application)
    return application


def _document_body_limit(application: Litestar) -> None:
    """Every operation that takes a body may answer 413 (``request_too_large``, before the
    body is read): say so in the document, with the problem shape of its 400."""
    for item in (application.openapi_schema.paths or {}).values():
        for operation in (item.get, item.put, item.post, item.patch, item.delete):
            if operation is None or operation.request_body is None:
                continue
            responses = operation.responses or {}
            bad_request = responses.get("400")
            if "413" in responses or not isinstance(bad_request, OpenAPIResponse):
                continue
            responses["413"] = dataclasses.replace(
                bad_request, description=f"the body is larger than {MAX_BODY_BYTES} bytes"
            )


def _document_strict_inputs(application: Litestar) -> None:
    """Litestar does not carry pydantic's ``extra="forbid"`` into the OpenAPI document:
    say it there (``additionalProperties: false``), so clients and schemathesis know; nor
    a rule between fields (``Input.rule``): the schema's description says it."""
    components = application.openapi_schema.components.schemas or {}
    pending: list[type[Input]] = [Input]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        component = components.get(model.__name__)
        if component is not None:
            component.additional_properties = False
            if model.rule:
                component.description = model.rule
