"""Guards: plain functions ``(connection, handler) -> None`` that refuse a request by
raising, attached to the routes that need them (and unit-tested on their own)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler

JSON = "application/json"


def require_json(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The body must be declared ``application/json``. Litestar would parse a ``text/plain``
    body as JSON too, and a browser sends ``text/plain`` cross-site without asking first
    (no CORS preflight): refusing it keeps JSON endpoints out of reach of plain forms."""
    media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise HTTPException(status_code=415, detail=f"send the body as {JSON}")
