"""How a JSON route is declared: the ids in its path, and ``operation``, which writes once
what every JSON operation repeats (a worker thread, the problems it may answer and, for a
body, the ``require_json`` check with its 415 and 422)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from litestar import Controller, Litestar
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.params import Parameter
from litestar.routes import HTTPRoute
from litestar.types import Guard, Message, Scope

from tickex.application.command import CODE_PATTERN
from tickex.application.paging import MAX_OFFSET, MAX_PAGE
from tickex.entrypoints.http.guards import JSON_BODY, NO_STORE
from tickex.entrypoints.http.problems import problem_responses

#: an id in a path (``/orders/{order_id}``): the application's ``Id``, checked before it
PathId = Annotated[str, Parameter(min_length=1, max_length=64, pattern=CODE_PATTERN)]
#: a listing's query parameters, with the bounds of the application's pages
PageLimit = Annotated[int, Parameter(ge=1, le=MAX_PAGE)]
PageOffset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET)]


def operation(
    method: Callable[..., HTTPRouteHandler],
    path: str,
    operation_id: str,
    summary: str,
    *problems: int,
    body: bool = False,
    guards: Sequence[Guard] = (),
    **options: Any,
) -> HTTPRouteHandler:
    """``method(path, ...)`` (``get``, ``post``, ``patch``) for an operation that runs in a
    worker thread and documents the problems it may answer. ``body``: it takes a JSON body,
    so ``require_json`` runs before the ``guards`` and 415 and 422 are documented."""
    if body:
        options["opt"] = {**options.get("opt", {}), JSON_BODY: True}
        problems = (*problems, 415, 422)
    return method(
        path, operation_id=operation_id, summary=summary, sync_to_thread=True,
        guards=list(guards) or None, responses=problem_responses(*problems), **options,
    )  # fmt: skip


class AccountsController(Controller):
    """The base of the controllers tagged ``accounts``: what they answer is about one
    person (an account, its tokens, its requests) and is never cached."""

    tags = ["accounts"]
    cache_control = NO_STORE


class AdminController(Controller):
    """The base of the admins' controllers (``/v1/admin``): never cached either."""

    tags = ["admin"]
    cache_control = NO_STORE


class AllowedMethods:
    """A ``before_send`` hook: the ``Allow`` header of Litestar's automatic ``OPTIONS``
    answer names every method of the path. Litestar makes that handler with the path's
    first route and keeps it when the route is rebuilt as more handlers join the path, so
    it listed only the first ones (``OPTIONS, POST`` on ``/v1/organizer/events``, which
    also answers GET). ``learn`` reads the routes once the application is built."""

    def __init__(self) -> None:
        self._allow: dict[str, bytes] = {}

    def learn(self, application: Litestar) -> None:
        for route in application.routes:
            if isinstance(route, HTTPRoute):
                self._allow[route.path_format] = ", ".join(sorted(route.methods)).encode()

    async def __call__(self, message: Message, scope: Scope) -> None:
        if scope.get("method") != "OPTIONS" or message["type"] != "http.response.start":
            return
        allow = self._allow.get(str(scope.get("path_template")))
        headers = message.get("headers")
        if allow is None or not isinstance(headers, list):
            return
        for i, (name, _) in enumerate(headers):
            if name.lower() == b"allow":  # only an answer that says what is allowed
                headers[i] = (b"allow", allow)
