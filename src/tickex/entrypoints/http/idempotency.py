"""The ``Idempotency-Key`` request header of the routes that move money (``placeOrder``,
``refundOrder``, ``adminRefundOrder``): optional; with it, a retried request gets the
first answer again (its status and the very same body, marked ``Idempotent-Replayed:
true``) instead of doing it twice (``tickex.application.idempotency``). Without it the
route behaves as it always did.

The key is validated here (16 to 255 visible ASCII characters: 422 ``validation_failed``
with ``source: header`` otherwise) and handed to the use case; it is never logged, and
only its digest is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Litestar, Response
from litestar.datastructures import ResponseHeader
from litestar.enums import MediaType
from litestar.openapi.spec import OpenAPIType, Parameter, Schema
from litestar.params import HeaderParameter

from tickex.application.idempotency import (
    KEY_MAX_LENGTH,
    KEY_MIN_LENGTH,
    KEY_PATTERN,
    IdempotentAnswer,
)
from tickex.entrypoints.http.schemas import Output

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

#: a route's optional ``Idempotency-Key`` parameter (declare it ``= None``)
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        required=False,
        min_length=KEY_MIN_LENGTH,
        max_length=KEY_MAX_LENGTH,
        pattern=KEY_PATTERN,
        description=(
            "Optional; makes the request safe to retry. The same key with the same request "
            "within 24 hours answers the first response again (its status and body, with "
            f"{REPLAYED_HEADER}: true) and does nothing twice; the same key with another "
            "request is 422 idempotency_key_reused; while the first is still running, 409 "
            "idempotency_request_in_flight (retry shortly). Keys are scoped to the caller "
            "(an organizer's keys are theirs, an admin's their own); a buyer without an "
            f"account shares the key space with everyone, so use {KEY_MIN_LENGTH} to "
            f"{KEY_MAX_LENGTH} unguessable visible ASCII characters, e.g. a random UUID, one "
            "per intended request."
        ),
    ),
]

#: documents the header a replayed answer carries
REPLAYED = ResponseHeader(
    name=REPLAYED_HEADER,
    value="true",
    documentation_only=True,
    description="true when this is the stored answer of an earlier request with the same "
    "Idempotency-Key",
)


def json_text(out: Output) -> str:
    """The JSON an answer is stored and replayed as."""
    return out.model_dump_json()


def answered(answer: IdempotentAnswer, status_code: int) -> Response[Any]:
    """The response of a request made with a key: the stored text, byte for byte."""
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return _json(answer.body, status_code, headers)


def json_response(out: Output, status_code: int) -> Response[Any]:
    """The response of a request made without a key: the text it would be stored as."""
    return _json(json_text(out), status_code, None)


def _json(text: str, status_code: int, headers: dict[str, str] | None) -> Response[Any]:
    return Response(
        text.encode("utf-8"), media_type=MediaType.JSON, status_code=status_code, headers=headers
    )


def document_idempotency_key(application: Litestar) -> None:
    """The header is a string when sent (Litestar documents the optional parameter as
    ``oneOf: [string, null]`` with the bounds beside it): say so, with its bounds."""
    for item in (application.openapi_schema.paths or {}).values():
        for operation in (item.post, item.put, item.patch):
            for parameter in (operation.parameters or []) if operation else []:
                if isinstance(parameter, Parameter) and parameter.name == IDEMPOTENCY_KEY_HEADER:
                    parameter.schema = Schema(
                        type=OpenAPIType.STRING,
                        min_length=KEY_MIN_LENGTH,
                        max_length=KEY_MAX_LENGTH,
                        pattern=KEY_PATTERN,
                    )
