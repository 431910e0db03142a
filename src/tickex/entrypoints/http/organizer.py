"""What every ``/v1/organizer`` controller shares, whichever area it serves.

Every route is behind the bearer guard (``authenticated``) and the organizer role
(``require_role``); the organizer acted for is the signed-in user's (or the API key's),
never one named in a path or a body (the strict inputs refuse ``organizer_id``): handlers
receive it as the ``organizer`` dependency. The use cases scope every id to that
organizer: another organizer's event, ticket type or order answers 404 exactly like an
unknown one. Money goes in and out as integer minor units (out with its currency).

Every route names the one ``ApiScope`` an organizer's API key needs to call it
(``organizer_route(..., scope, ...)``, kept in ``opt[API_SCOPE]``); a user's own access
token is not limited by scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency, Provide
from litestar.handlers.http_handlers import HTTPRouteHandler

from tickex.domain.errors import Forbidden
from tickex.domain.identity import ApiScope, Principal, Role
from tickex.entrypoints.http.catalog.event_pages import EventPages
from tickex.entrypoints.http.dependencies import CurrentPrincipal
from tickex.entrypoints.http.guards import API_SCOPE, BEARER, NO_STORE, authenticated, require_role
from tickex.entrypoints.http.routes import operation

Organizer = NamedDependency[str]  # parameter name: organizer (the organizer's id)


def organizer_id(principal: Principal) -> str:
    """The organizer the signed-in user (or the API key) acts for (403 ``forbidden`` if
    none)."""
    if principal.organizer_id is None or Role.ORGANIZER not in principal.roles:
        raise Forbidden("this needs an organizer account")
    return principal.organizer_id


def _organizer(principal: CurrentPrincipal) -> str:
    return organizer_id(principal)


async def _forget_event_pages(request: Request[Any, Any, Any]) -> None:
    """An organizer changed something (a write that went through): this worker's rendered
    public event pages are forgotten (``catalog/event_pages.py``)."""
    if request.method != "GET":
        pages = request.app.state.get("event_pages")
        if isinstance(pages, EventPages):
            pages.clear()


class OrganizerController(Controller):
    """The base of the organizer's controllers: their path, guards and dependencies."""

    path = "/v1/organizer"
    tags = ["organizer"]
    cache_control = NO_STORE
    guards = [authenticated, require_role(Role.ORGANIZER)]
    security = BEARER
    dependencies = {"organizer": Provide(_organizer, sync_to_thread=False)}
    after_response = staticmethod(_forget_event_pages)


def organizer_route(
    method: Callable[..., HTTPRouteHandler],
    path: str,
    operation_id: str,
    scope: ApiScope | None,
    summary: str,
    *problems: int,
    **options: Any,
) -> HTTPRouteHandler:
    """``operation`` for an organizer route: an API key holding ``scope`` may call it too
    (``None``: a user's access token only), and 401 and 403 are documented."""
    if scope is not None:
        options["opt"] = {API_SCOPE: scope}
    return operation(method, path, operation_id, summary, 401, 403, *problems, **options)
