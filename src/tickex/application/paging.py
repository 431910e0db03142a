"""Paging shared by the listings: the bounds of a page (the HTTP query parameters name
the same ones) and the page a listing returns, with whether another one follows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from pydantic import Field

MAX_PAGE = 100
MAX_OFFSET = 10_000
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET)]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    limit: int
    offset: int
    has_more: bool

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with each item converted."""
        return Page(tuple(convert(item) for item in self.items), self.limit, self.offset,
                    self.has_more)  # fmt: skip


def fetch_page(fetch: Callable[[int, int], Sequence[T]], limit: int, offset: int) -> Page[T]:
    """``fetch(count, offset)`` asked for one more than ``limit``: the extra one tells
    whether another page follows, and is not part of this one."""
    found = fetch(limit + 1, offset)
    return Page(tuple(found[:limit]), limit, offset, len(found) > limit)
