"""How a JSON route is declared: the ids in its path, and ``operation``, which writes once
what every JSON operation repeats (a worker thread, the problems it may answer and, for a
body, the ``require_json`` check with its 415 and 422)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from litestar import Controller
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.params import Parameter
from litestar.types import Guard

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
