"""The fields of a new promo code, declared once for create_promo_code and for the body
that carries them (``entrypoints/http/catalog/schemas.py``)."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import Field, StringConstraints

from tickex.application.command import CODE_PATTERN, Choice, Command, Id, MinorUnits
from tickex.application.date_bounds import Moment
from tickex.domain.promo_code import DiscountKind


class PromoCodeDetails(Command):
    """A percent (``percent_bp``) or fixed (``fixed_minor``) discount as the organizer
    describes it."""

    code: Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=CODE_PATTERN)]
    kind: Choice[DiscountKind]
    percent_bp: Annotated[int, Field(ge=0, le=10_000)] = 0
    fixed_minor: MinorUnits | None = None
    max_uses: Annotated[int, Interval(ge=1, le=10_000_000)] | None = None
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    ticket_type_ids: Annotated[list[Id], Field(max_length=100)] = []
    unlocks_hidden: bool = False
