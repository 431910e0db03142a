"""Base of every command and result: strict pydantic models (unknown fields rejected)."""

from __future__ import annotations

from typing import Annotated, TypeVar

from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Command(BaseModel):
    """An imperative request to the application; validated when it is built."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class OrganizerCommand(Command):
    """A command an organizer gives (``organizer_id``: the organizer acting)."""

    organizer_id: Id


class EventCommand(OrganizerCommand):
    """A command an organizer gives about one of their events (``owned_event`` checks
    that it is theirs)."""

    event_id: Id


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251})\.[A-Za-z]{2,63}$",
    ),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
E = TypeVar("E")
#: an enumeration field, given by its member or its value, also to a strict model (the
#: HTTP bodies are strict, and JSON carries an enumeration's value only)
Choice = Annotated[E, Field(strict=False)]
#: bounds as annotated-types metadata, which the HTTP layer's OpenAPI keeps when optional
MinorUnits = Annotated[int, Interval(ge=0, le=100_000_000_00)]
Slug = Annotated[
    str, StringConstraints(min_length=3, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
]
#: a presented secret (token, key): declare it with ``Field(repr=False)``, never logged
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
#: a new password: 12 to 128 characters, taken exactly as typed (never stripped)
Password = Annotated[str, StringConstraints(min_length=12, max_length=128, strip_whitespace=False)]
#: a password presented to log in: bounded, exactly as typed (policy applies to new ones)
PresentedPassword = Annotated[
    str, StringConstraints(min_length=1, max_length=128, strip_whitespace=False)
]
