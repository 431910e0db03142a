"""The Litestar HTTP API: ``create_app(TickEx) -> Litestar``."""

from tickex.entrypoints.http.app import create_app

__all__ = ["create_app"]
