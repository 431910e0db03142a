"""Transport schemas shared by every area: the bases and the field types of the wire.

Inputs forbid unknown fields and bound every number and string, so a body carrying
``status``, ``price`` or ``organizer_id`` is refused before any use case runs. They are
strict, too: a JSON string is never taken for a number or a boolean (``"2"``, ``"true"``),
nor a float for an integer (``2.0``). Outputs are built from use-case results by the
mapping functions of each area's ``schemas`` module and nowhere else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from tickex.application import date_bounds
from tickex.application.command import PlainText, check_unpadded, texts
from tickex.domain.money import Money
from tickex.domain.quota import AvailabilityState

AvailabilityName = Literal["gone", "ordered", "reserved", "ok"]
AVAILABILITY: dict[AvailabilityState, AvailabilityName] = {
    AvailabilityState.GONE: "gone",
    AvailabilityState.ORDERED: "ordered",
    AvailabilityState.RESERVED: "reserved",
    AvailabilityState.OK: "ok",
}


class Input(PlainText):
    """A request body: unknown fields refused, and strict types (Litestar hands pydantic the
    decoded JSON, so strict mode sees JSON's own types). Enumerations are named by their
    value in JSON: declare them ``Choice[SomeEnum]`` (``tickex.application.command``);
    date-times ``Moment``. Every text value is plain text, one line unless its type says
    ``MULTILINE`` (``PlainText``, the commands' own rule).

    Text is taken as sent, never stripped, so ``minLength``/``maxLength`` in the document
    are the server's exact bounds: a one-line text that starts or ends with whitespace is
    refused (``check_unpadded``), but for those taken exactly as typed (passwords, tokens);
    text that may span lines is kept as sent, and the command strips it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, strict=True)
    #: a rule between the body's fields, in words (exactly one of two, one date after
    #: another): the schema's description in the OpenAPI document, which has no keyword
    #: for it that Litestar writes (``app._document_strict_inputs``)
    rule: ClassVar[str] = ""

    @field_validator("*")
    @classmethod
    def _unpadded(cls, value: object, info: ValidationInfo) -> object:
        name = info.field_name
        if name not in cls.multiline_fields and name not in cls.exact_fields:
            for text in texts(value):
                check_unpadded(text)
        return value

    @classmethod
    def model_validate(cls, obj: Any, *, strict: bool | None = None, **kwargs: Any) -> Self:
        """Litestar passes its own ``strict`` flag (``False``) on every call, which would
        override the model's: an input's strictness is the model's own, always."""
        del strict
        return super().model_validate(obj, **kwargs)


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class MoneyOut(Output):
    amount_minor: int
    currency: str


def money(value: Money) -> MoneyOut:
    return MoneyOut(amount_minor=value.amount_minor, currency=value.currency)


# Bounds as annotated-types metadata, not ``Field(...)``: Litestar drops a ``Field``'s bounds
# from the document when the type is optional; these it keeps (so do the application's field
# types that the bodies share: ``MinorUnits``, ``Quantity``, ``PerOrder``).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> datetime:
    """Only RFC 3339 text with an offset: pydantic would also take a number (seconds since
    1970), which the document does not promise. The application's ``Moment`` then refuses
    what UTC cannot hold."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("an RFC 3339 date-time with an offset, e.g. 2026-05-01T20:00:00Z")
    return datetime.fromisoformat(value.upper())


Moment = Annotated[date_bounds.Moment, BeforeValidator(_rfc3339)]


def next_offset(offset: int, limit: int, has_more: bool) -> int | None:
    """Where the next page of a listing starts (``None``: this was the last page)."""
    return offset + limit if has_more else None
