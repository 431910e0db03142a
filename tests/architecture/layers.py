"""The layer rule, checked on the source: dependencies point inward only.

    domain       stdlib + pydantic
    ports        stdlib + pydantic + domain
    application  stdlib + pydantic + domain + ports
    adapters     anything but application, entrypoints and the composition root
    entrypoints  anything but adapters (they come through the container)

Every import counts, including those inside functions and under TYPE_CHECKING. Beyond
imports:
- no module of the package imports the test suite (``tests``, ``conftest``): test-only
  switches live in the tests, never in production code;
- entrypoints never reach past the facade (no ``.services`` attribute: the facade offers
  the question, or the composition root wires it);
- the inner layers (domain, ports, application) know no HTTP route: no string in them
  names a path under one of the app's route roots (``/v1/``, ``/account/``, ...); links
  come from the ``Links`` port, which the HTTP layer implements.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
PYDANTIC = frozenset({"pydantic", "pydantic_core", "annotated_types", "typing_extensions"})


@dataclass(frozen=True)
class Rule:
    layer: str  # dotted package prefix, e.g. tickex.domain
    allowed_internal: tuple[str, ...] | None  # None: any tickex module not forbidden
    forbidden_internal: tuple[str, ...] = ()
    third_party: frozenset[str] | None = None  # None: any third-party package


RULES = (
    Rule("tickex.domain", ("tickex.domain",), third_party=PYDANTIC),
    Rule("tickex.ports", ("tickex.domain", "tickex.ports"), third_party=PYDANTIC),
    Rule(
        "tickex.application",
        ("tickex.domain", "tickex.ports", "tickex.application"),
        third_party=PYDANTIC,
    ),
    Rule(
        "tickex.adapters",
        None,
        forbidden_internal=(
            "tickex.application",
            "tickex.entrypoints",
            "tickex.bootstrap",
            "tickex.facade",
            "tickex.settings",
        ),
    ),
    Rule("tickex.entrypoints", None, forbidden_internal=("tickex.adapters",)),
)

#: what no module of the package may import: the test suite
TEST_PACKAGES = frozenset({"tests", "conftest"})
#: layers that must not know the HTTP routes
ROUTE_BLIND = ("tickex.domain", "tickex.ports", "tickex.application")
#: the first path segment of every route the HTTP app serves when the checker is run
#: as a script; the test passes the live app's roots
DEFAULT_ROUTE_ROOTS = frozenset(
    {"account", "docs", "healthz", "metrics", "pay", "readyz", "schema", "static", "v1", "webhooks"}
)


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    module: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.imported} ({self.rule})"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from tickex import adapters` imports a module too
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (prose may mention a route)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def route_literals(tree: ast.AST, roots: frozenset[str]) -> list[tuple[int, str]]:
    """Strings (f-string parts too, docstrings not) that name a path under a route root."""
    pattern = re.compile(
        r"(?:^|[^A-Za-z0-9_.-])/(?:" + "|".join(map(re.escape, roots)) + r")(?:[/?#]|$)"
    )
    skip = _docstrings(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and pattern.search(node.value)
    ]


def services_reached(tree: ast.AST) -> list[int]:
    """Lines that read an attribute named ``services`` (the facade's port bundle)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "services"
    ]


def check_file(
    path: Path, src: Path, route_roots: frozenset[str] = DEFAULT_ROUTE_ROOTS
) -> list[Violation]:
    module = module_name(path, src)
    rule = next((r for r in RULES if _within(module, r.layer)), None)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    violations = []
    test_lines: set[int] = set()
    for line, imported in imports_of(tree, module, path.name == "__init__.py"):
        if imported.split(".")[0] in TEST_PACKAGES and line not in test_lines:
            test_lines.add(line)
            violations.append(
                Violation(path, line, module, imported, "the package must not import the tests")
            )
    if _within(module, "tickex.entrypoints"):
        violations.extend(
            Violation(path, line, module, ".services", "entrypoints use the facade, not its ports")
            for line in services_reached(tree)
        )
    if any(_within(module, layer) for layer in ROUTE_BLIND):
        violations.extend(
            Violation(path, line, module, repr(value), "inner layers know no HTTP route (Links)")
            for line, value in route_literals(tree, route_roots)
        )
    if rule is None:
        return violations
    seen: set[tuple[int, str]] = set()
    for line, imported in imports_of(tree, module, path.name == "__init__.py"):
        top = imported.split(".")[0]
        problem = None
        if top in TEST_PACKAGES:
            continue
        if top == "tickex":
            if any(_within(imported, f) for f in rule.forbidden_internal):
                problem = f"{rule.layer} must not import {imported}"
            elif rule.allowed_internal is not None and not any(
                _within(imported, a) for a in rule.allowed_internal
            ):
                # `from tickex.domain import x` also yields tickex.domain.x: allowed
                problem = f"{rule.layer} may only import {', '.join(rule.allowed_internal)}"
        elif top not in STDLIB and rule.third_party is not None and top not in rule.third_party:
            problem = f"{rule.layer} may only use the stdlib and pydantic"
        if problem and (line, top) not in seen:
            seen.add((line, top))
            violations.append(Violation(path, line, module, imported, problem))
    return violations


def check_tree(src: Path, route_roots: frozenset[str] = DEFAULT_ROUTE_ROOTS) -> list[Violation]:
    violations: list[Violation] = []
    for path in sorted((src / "tickex").rglob("*.py")):
        violations.extend(check_file(path, src, route_roots))
    return violations


if __name__ == "__main__":  # pragma: no cover
    root = Path(__file__).resolve().parents[2] / "src"
    problems = check_tree(root)
    for v in problems:
        print(v)
    sys.exit(1 if problems else 0)
