"""How deep a JSON request body may nest, checked before it is decoded.

msgspec, which decodes Litestar's JSON, raises ``RecursionError`` on a body nested about a
thousand levels deep (a few kilobytes, well under the 64 KiB limit), and pydantic's
validators recurse as well: unchecked, such a body answered 500 and was logged as an
internal error. The deepest body the API describes nests three levels (an event's
``settings.refund_policy``, an order's ``items``), so a body nested deeper than
``MAX_JSON_DEPTH`` is no request of ours: 400 ``malformed_request``, before the decoder
sees it.

The check costs two byte counts for almost every body: nesting needs one bracket a level,
so a body with at most ``MAX_JSON_DEPTH`` brackets cannot be too deep. Only a body with
more is scanned, once, skipping its strings; the scan stops at the first level too deep.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

MAX_JSON_DEPTH = 32  # ten times the deepest body of the document

# A whole JSON string (escapes included, as the decoder reads it), a bracket, or a quote
# that opens no complete string. Unrolled (``[^"\\]*(?:\\.[^"\\]*)*``): linear, no
# backtracking blow-up on a long run of escapes.
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}"]', re.DOTALL)
_QUOTE, _OPENERS = ord('"'), frozenset(b"[{")


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` levels, as a JSON
    decoder would reach them.

    Exact on valid JSON. On invalid JSON it is exact up to the first error, which is as
    far as a decoder goes; after a string that never ends (the decoder reads the rest of
    the body as that string) it stops and answers False: the decoder refuses the body.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _TOKEN.finditer(body):
        first = body[token.start()]
        if first == _QUOTE:
            if token.end() - token.start() == 1:  # a string that never ends
                return False
        elif first in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class JsonRequest(Request[Any, Any, Any]):
    """Litestar's request, refusing a JSON body nested deeper than ``MAX_JSON_DEPTH``
    (``ClientException``: 400 ``malformed_request``) before it is decoded. Every JSON body
    of the API is read through ``json()`` (the application's ``request_class``)."""

    async def json(self) -> Any:
        if json_depth_exceeds(await self.body()):
            raise ClientException(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        return await super().json()


__all__ = ["MAX_JSON_DEPTH", "JsonRequest", "json_depth_exceeds"]
