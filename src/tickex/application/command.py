"""Base of every command and result: strict pydantic models (unknown fields rejected).

Commands are as strict as the HTTP bodies: a command built from Python takes ``2`` for a
number, never ``"2"`` (nor ``2.0`` for an integer, nor ``"true"`` for a boolean), and a
``datetime`` for a date-time. Enumerations are still given by member or value
(``Choice``).

Every text value of a command and of an HTTP body (``entrypoints/http/schemas.Input``) is
plain text, one rule for both (``PlainText``): no control characters (Unicode category
Cc: C0, DEL, C1), which PostgreSQL cannot store (a NUL) and a log line or an email should
never carry (pydantic refuses lone surrogates already: not text). A field is one line
unless its type says ``MULTILINE`` (descriptions, reasons, notes), which takes newlines
and tabs (not a carriage return: send ``\n``). One line also refuses the Unicode line and
paragraph separators (U+2028, U+2029) and the bidirectional embedding, override and
isolate controls (U+202A..U+202E, U+2066..U+2069): a name shown in a list, a ticket or
an email must read as it was typed (docs/adr/0023-plain-text.md).

Each pattern of a text type is declared with what it asks for in words (``described``):
a validation error says that ("must be an email address like name@example.com"), never
the regular expression, which the OpenAPI document keeps for clients
(``entrypoints/http/problems.human_message``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, TypeVar, get_args

from annotated_types import Interval
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError


class _MultiLine:
    """The marker of a text type that may span lines: ``Annotated[str, ..., MULTILINE]``."""

    def __repr__(self) -> str:
        return "MULTILINE"


MULTILINE = _MultiLine()
#: Unicode category Cc (C0 controls, DEL, C1 controls), as a regular expression's range
CONTROL = r"\x00-\x1f\x7f-\x9f"
# refused in any text: Cc but tab and newline; in one line: Cc, U+2028/U+2029 and the
# bidirectional embeddings, overrides and isolates
_NOT_IN_TEXT = re.compile(rf"(?![\t\n])[{CONTROL}]")
_NOT_IN_A_LINE = re.compile(rf"[{CONTROL}\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def check_plain_text(value: str, *, multiline: bool = False) -> str:
    """``value`` when it is plain text (see the module), else ``PydanticCustomError``
    ``control_character`` naming the first character refused (by its code point only)."""
    found = (_NOT_IN_TEXT if multiline else _NOT_IN_A_LINE).search(value)
    if found is None:
        return value
    kind = "text" if multiline else "a single line of text"
    raise PydanticCustomError(
        "control_character",
        "{kind} without control characters: U+{code_point} is not allowed",
        {"kind": kind, "code_point": f"{ord(found.group()):04X}"},
    )


def check_unpadded(value: str) -> str:
    """``value`` when it neither starts nor ends with whitespace (``str.strip``'s), else
    ``PydanticCustomError`` ``padded_text``: an HTTP body's one-line text is taken exactly
    as sent, so its length is the one the OpenAPI document bounds (``schemas.Input``)."""
    if value != value.strip():
        raise PydanticCustomError("padded_text", "must not start or end with spaces")
    return value


def _exact(field: FieldInfo) -> bool:
    """Whether a field's text is taken exactly as typed (``strip_whitespace=False``: a
    password, a token), spaces at its ends included."""
    return any(
        isinstance(item, StringConstraints) and item.strip_whitespace is False
        for item in (*field.metadata, *_metadata(field.annotation))
    )


def _metadata(annotation: object) -> Iterable[object]:
    """The ``Annotated`` metadata inside a field's type (also in ``| None``, ``list[...]``)."""
    for arg in get_args(annotation):
        yield arg
        yield from _metadata(arg)


def _multiline(field: FieldInfo) -> bool:
    """Whether a field's type says ``MULTILINE`` (also inside ``| None``, ``list[...]``)."""
    return any(item is MULTILINE for item in (*field.metadata, *_metadata(field.annotation)))


def texts(value: object) -> Iterable[str]:
    """The text values in a field's value (models check their own fields)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(key)
            yield from texts(item)


class PlainText(BaseModel):
    """A model whose every text value is plain text (the module says what that is): the
    check is the model's, so no field can be left out of it."""

    #: the fields whose type is ``MULTILINE``, found when the class is built
    multiline_fields: ClassVar[frozenset[str]] = frozenset()
    #: the fields taken exactly as typed (``strip_whitespace=False``), found likewise
    exact_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.multiline_fields = frozenset(
            name for name, field in cls.model_fields.items() if _multiline(field)
        )
        cls.exact_fields = frozenset(
            name for name, field in cls.model_fields.items() if _exact(field)
        )

    @field_validator("*")
    @classmethod
    def _plain_text(cls, value: object, info: ValidationInfo) -> object:
        multiline = info.field_name in cls.multiline_fields
        for text in texts(value):
            check_plain_text(text, multiline=multiline)
        return value


class Command(PlainText):
    """An imperative request to the application; validated when it is built, strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


#: what each pattern of the API means, in words: a validation error says this, never the
#: regular expression, which stays in the OpenAPI document for clients to check with
PATTERN_MESSAGES: dict[str, str] = {}


def described(pattern: str, message: str) -> str:
    """``pattern``, with what it asks for (``message``) recorded in ``PATTERN_MESSAGES``."""
    if PATTERN_MESSAGES.setdefault(pattern, message) != message:
        raise ValueError(f"one message a pattern: {pattern!r} has another")
    return pattern


#: letters, digits, "-" and "_": ids, promo codes, references
CODE_PATTERN = described(r"^[A-Za-z0-9_-]+$", "may hold only letters, digits, '-' and '_'")
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)]


class OrganizerCommand(Command):
    """A command an organizer gives (``organizer_id``: the organizer acting)."""

    organizer_id: Id


class EventCommand(OrganizerCommand):
    """A command an organizer gives about one of their events (``owned_event`` checks
    that it is theirs)."""

    event_id: Id


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: text that may span lines (a description)
Text = Annotated[str, StringConstraints(max_length=10_000), MULTILINE]
#: why an order is cancelled or refunded: recorded on the order, may span lines
Reason = Annotated[str, StringConstraints(max_length=500), MULTILINE]
#: spaces and invisible separators, spelled out: ``\s`` means three things in the three
#: dialects that read a pattern (ECMA-262 for clients, Rust regex in pydantic-core for
#: bodies, Python ``re`` for query parameters: U+FEFF is a space only to ECMA, U+001C..U+001F
#: only to Python, U+0085 not to ECMA), and ``\uXXXX`` reads alike in all three; U+180E
#: (once a space) and U+200B (zero width) are refused as well, never seen in an address
SPACE = r"\u0020\u00a0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
# no space nor control character (also in a query parameter, which the pattern checks)
EMAIL_PATTERN = described(
    rf"^[^@{SPACE}{CONTROL}]{{1,64}}@[A-Za-z0-9](?:[A-Za-z0-9.-]{{0,251}})\.[A-Za-z]{{2,63}}$",
    "must be an email address like name@example.com",
)
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=EMAIL_PATTERN,
    ),
]
CURRENCY_PATTERN = described(
    r"^[A-Z]{3}$", "must be a three-letter currency code in capitals (ISO 4217), like EUR"
)
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
#: a venue's country: two capitals (ISO 3166-1 alpha-2), or none
COUNTRY_PATTERN = described(
    r"^([A-Z]{2})?$",
    "must be a two-letter country code in capitals (ISO 3166-1), like PT, or empty",
)
#: an order's human code as a buyer types it: letters and digits, matched in any case (the
#: codes the application makes are upper case, ``SecretGenerator.order_code``)
ORDER_CODE_PATTERN = described(
    r"^[A-Za-z0-9]+$", "must be an order code of letters and digits, like 7KQ2M9XD"
)
OrderCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32, pattern=ORDER_CODE_PATTERN, to_upper=True),
]
E = TypeVar("E")
#: an enumeration field, given by its member or its value, also to a strict model (the
#: HTTP bodies are strict, and JSON carries an enumeration's value only)
Choice = Annotated[E, Field(strict=False)]
#: bounds as annotated-types metadata, which the HTTP layer's OpenAPI keeps when optional
MinorUnits = Annotated[int, Interval(ge=0, le=100_000_000_00)]
SLUG_PATTERN = described(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "must be lower-case letters and digits, words joined by single hyphens, like summer-fest",
)
Slug = Annotated[str, StringConstraints(min_length=3, max_length=80, pattern=SLUG_PATTERN)]
#: a presented secret (token, key): declare it with ``Field(repr=False)``, never logged
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
#: a new password: 12 to 128 characters, taken exactly as typed (never stripped)
Password = Annotated[str, StringConstraints(min_length=12, max_length=128, strip_whitespace=False)]
#: a password presented to log in: bounded, exactly as typed (policy applies to new ones)
PresentedPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)
]
