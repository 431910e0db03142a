"""Every pattern of the API means one thing to all who read it: the OpenAPI document's
dialect (ECMA-262, what clients and schemathesis check with), pydantic-core's Rust regex
(HTTP bodies, commands) and Python ``re`` (query and path parameters). ``\\s``, ``\\w``,
``\\d``, ``\\b`` and ``.`` differ between them on Unicode; a pattern spells its classes out
(``\\uXXXX``), and on the characters where the dialects part, Python and pydantic agree."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import StringConstraints, TypeAdapter, ValidationError

from tickex.application.command import EMAIL_PATTERN, PATTERN_MESSAGES
from tickex.entrypoints.http import create_app
from tickex.facade import TickEx

create_app(TickEx.in_memory())  # the app imports every route and use case: every pattern

#: where the dialects' ``\s`` (and Unicode's White_Space) part, and look-alike invisibles
TRICKY = [
    "\u0085",
    *map(chr, range(0x1C, 0x20)),
    "\u00a0",
    "\u1680",
    *map(chr, range(0x2000, 0x200B)),
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u180e",
    "\u200b",
]
#: a value each pattern accepts, to put the tricky characters in
SAMPLES = ["name@example.com", "EUR", "PT", "summer-fest", "7KQ2M9XD", "ab_C-1", "key!0123456789"]
#: a class written out (escapes inside) or an escaped character: read alike everywhere
_SAFE = re.compile(r"\[(?:\\.|[^\]\\])*\]|\\[xu][0-9A-Fa-f]+|\\[.$^\\\[\]{}()*+?|/-]")
_DIALECT_DEPENDENT = re.compile(r"\\[sSwWdDbB]|\.")

PATTERNS = sorted(PATTERN_MESSAGES)
assert len(PATTERNS) >= 8, PATTERNS  # the application's and the entrypoints' patterns


def probes() -> list[str]:
    found = []
    for character in TRICKY:
        found.append(character)
        for sample in SAMPLES:
            middle = len(sample) // 2
            found += [character + sample, sample + character]
            found.append(sample[:middle] + character + sample[middle:])
    return found


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_has_no_class_whose_meaning_depends_on_the_dialect(pattern: str) -> None:
    outside_classes = _SAFE.sub("", pattern)
    assert not _DIALECT_DEPENDENT.search(outside_classes), pattern
    for written_out in re.findall(r"\[(?:\\.|[^\]\\])*\]", pattern):
        assert not re.search(r"\\[sSwWdDbB]", written_out), pattern


@pytest.mark.parametrize("pattern", PATTERNS)
def test_python_re_and_pydantic_agree_on_the_tricky_characters(pattern: str) -> None:
    model = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)])
    disagree = []
    for probe in probes():
        by_python = re.search(pattern, probe) is not None
        try:
            model.validate_python(probe)
            by_pydantic = True
        except ValidationError:
            by_pydantic = False
        if by_python != by_pydantic:
            disagree.append(f"U+{ord(next(c for c in probe if c in TRICKY)):04X} in {probe!r}")
    assert not disagree, disagree


def test_the_samples_are_accepted_so_the_probes_test_something() -> None:
    for sample in SAMPLES:
        assert any(re.search(pattern, sample) for pattern in PATTERNS), sample


@pytest.mark.parametrize("character", TRICKY, ids=lambda c: f"U+{ord(c):04X}")
def test_an_email_address_holds_no_space_nor_invisible_separator(character: str) -> None:
    assert re.search(EMAIL_PATTERN, f"na{character}me@example.com") is None
