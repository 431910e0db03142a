"""The layer rule, checked on the source: dependencies point inward only.

    domain       stdlib + pydantic
    ports        stdlib + pydantic + domain
    application  stdlib + pydantic + domain + ports
    adapters     anything but application, entrypoints and the composition root
    entrypoints  anything but adapters (they come through the container)

Every import counts, including those inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
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


def check_file(path: Path, src: Path) -> list[Violation]:
    module = module_name(path, src)
    rule = next((r for r in RULES if _within(module, r.layer)), None)
    if rule is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    violations = []
    seen: set[tuple[int, str]] = set()
    for line, imported in imports_of(tree, module, path.name == "__init__.py"):
        top = imported.split(".")[0]
        problem = None
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


def check_tree(src: Path) -> list[Violation]:
    violations: list[Violation] = []
    for path in sorted((src / "tickex").rglob("*.py")):
        violations.extend(check_file(path, src))
    return violations


if __name__ == "__main__":  # pragma: no cover
    root = Path(__file__).resolve().parents[2] / "src"
    problems = check_tree(root)
    for v in problems:
        print(v)
    sys.exit(1 if problems else 0)
