"""The Litestar HTTP API: ``create_app(TickEx) -> Litestar``.

``create_app`` is loaded on first use: the composition root imports ``http.links`` (plain
URL formatting) without pulling in the web framework, and without an import cycle
(``app`` imports the facade, which imports the composition root)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tickex.entrypoints.http.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from tickex.entrypoints.http.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
