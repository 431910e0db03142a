"""Guards are plain functions: tested on a request built by hand, without an app."""

from __future__ import annotations

import pytest
from litestar import post
from litestar.exceptions import HTTPException
from litestar.testing import RequestFactory

from tickex.domain.errors import Forbidden
from tickex.domain.identity import Principal, Role
from tickex.entrypoints.http.guards import JSON_BODY, bearer_token, require_json, require_role
from tickex.ports.identity import InvalidToken


@post("/x", sync_to_thread=False)
def handler() -> None:
    return None


@post("/y", sync_to_thread=False, opt={JSON_BODY: True})
def takes_json() -> None:
    return None


def _scope(route: object, content_type: str | None) -> dict[str, object]:
    headers = [] if content_type is None else [(b"content-type", content_type.encode())]
    return {"type": "http", "route_handler": route, "headers": headers}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          " APPLICATION/JSON "])  # fmt: skip
def test_json_passes(content_type: str) -> None:
    require_json(_scope(takes_json, content_type))  # type: ignore[arg-type]


@pytest.mark.parametrize("content_type", ["text/plain", "application/jsonp",
                                          "multipart/form-data", "", None])  # fmt: skip
def test_anything_else_is_unsupported(content_type: str | None) -> None:
    with pytest.raises(HTTPException) as refused:
        require_json(_scope(takes_json, content_type))  # type: ignore[arg-type]
    assert refused.value.status_code == 415


def test_a_route_without_a_json_body_is_not_checked() -> None:
    require_json(_scope(handler, "text/plain"))  # type: ignore[arg-type]
    require_json({"type": "http", "headers": []})  # type: ignore[arg-type]  # unmatched


@pytest.mark.parametrize("value", ["Bearer abc.def", "bearer abc.def", "BEARER  abc.def "])
def test_a_bearer_token_is_read_from_the_authorization_header(value: str) -> None:
    request = RequestFactory().get("/x", headers={"Authorization": value})
    assert bearer_token(request) == "abc.def"


@pytest.mark.parametrize("value", ["", "Bearer", "Bearer   ", "Basic YTpi", "abc.def",
                                   "Bearer " + "x" * 5000])  # fmt: skip
def test_no_bearer_token_is_invalid_token(value: str) -> None:
    request = RequestFactory().get("/x", headers={"Authorization": value} if value else {})
    with pytest.raises(InvalidToken) as refused:
        bearer_token(request)
    assert refused.value.code == "invalid_token"


def test_the_role_guard_needs_the_role() -> None:
    guard = require_role(Role.ADMIN)
    request = RequestFactory().post("/x")
    with pytest.raises(Forbidden):
        guard(request, handler)  # nobody authenticated
    request.state["tickex.principal"] = Principal("u-1", frozenset({Role.CUSTOMER}))
    with pytest.raises(Forbidden):
        guard(request, handler)
    request.state["tickex.principal"] = Principal("u-1", frozenset({Role.CUSTOMER, Role.ADMIN}))
    guard(request, handler)
