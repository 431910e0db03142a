"""``tickex serve``: the HTTP API on granian (uvicorn when granian is not installed).

Each server worker process builds its own application from the environment
(``app_from_environment`` is the server's factory), with ``TICKEX_HOST``, ``TICKEX_PORT``,
``TICKEX_CORS_ORIGINS`` and ``TICKEX_WORKER_INTERVAL`` from :mod:`tickex.settings`.

The in-memory storage lives inside one process, so with it ``--workers`` must stay 1; so
does the fake Stripe of ``TICKEX_PAYMENT_PROVIDER=stripe-fake``.
Outside production the schema is migrated before the server starts.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import importlib.util
import os
import secrets
import sys
from typing import Any

from litestar import Litestar

from tickex.entrypoints.http.app import create_app
from tickex.entrypoints.logs import configure_logging
from tickex.settings import Settings, SettingsError, redact_url

FACTORY = "tickex.entrypoints.http.serve:app_from_environment"


def app_from_environment() -> Litestar:
    """The server's factory: one application per worker process, from ``TICKEX_*``."""
    from tickex.facade import TickEx

    configure_logging()
    settings = Settings.load()
    return create_app(
        TickEx.from_settings(settings),
        cors_origins=settings.cors_origins,
        worker_interval=settings.in_process_worker_interval(),
        trusted_proxies=settings.trusted_proxies,
        event_page_ttl=settings.event_page_ttl,
    )


def _migrate(settings: Settings) -> None:
    from tickex.facade import TickEx

    app = TickEx.from_settings(settings)
    try:
        app.migrate_storage()
    finally:
        app.close()


def shared_development_keys(settings: Settings) -> dict[str, str]:
    """Environment variables with a fresh key for each signing key that is unset (never in
    production, where settings require them), for the server's worker processes to share."""
    if settings.environment == "production":
        return {}
    unset = {"TICKEX_SIGNING_KEY": settings.signing_key,
             "TICKEX_ACCESS_TOKEN_KEY": settings.access_token_key}  # fmt: skip
    return {
        name: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        for name, value in unset.items()
        if value is None
    }


def _mail_destination(settings: Settings) -> str:
    transport = settings.mail_transport()
    if transport == "file":
        return f"written as .eml files to {os.path.abspath(settings.mail_dir)}"
    if transport == "smtp" and settings.smtp_url is not None:
        return f"sent through {redact_url(settings.smtp_url.get_secret_value())}"
    if transport == "resend":
        return f"sent through Resend ({settings.resend_base_url})"
    return "kept in memory (TICKEX_MAILER=memory)"


def server_loop() -> Any:
    """granian's event loop: uvloop when installed (the http extra, not on Windows: less
    CPU per request than asyncio's, docs/adr/0021), else asyncio's; named, so that
    granian's "auto" never picks another loop someone happened to install."""
    from granian.constants import Loops

    return Loops.uvloop if importlib.util.find_spec("uvloop") is not None else Loops.asyncio


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (TICKEX_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (TICKEX_PORT, 8000)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (1)")


def serve(host: str | None = None, port: int | None = None, workers: int = 1) -> int:
    """Run the API until interrupted; the exit status for the command line."""
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    host = settings.host if host is None else host
    port = settings.port if port is None else port
    if not 1 <= port <= 65_535 or not 1 <= workers <= 64:
        print("expected 1 <= --port <= 65535 and 1 <= --workers <= 64", file=sys.stderr)
        return 2
    if workers > 1 and settings.database_url.startswith("memory://"):
        print(
            "the in-memory storage lives in one process: use --workers 1, or a database",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and settings.payment_provider == "stripe-fake":
        print("the fake Stripe lives in one process: use --workers 1", file=sys.stderr)
        return 2
    if workers > 1 and settings.redis_url is None:
        print(
            "rate limits kept in memory hold per worker: set TICKEX_REDIS_URL to share them",
            file=sys.stderr,
        )
        if settings.environment == "production":
            return 2
    if workers > 1:
        # Every worker must sign and verify with the same keys (access tokens, ticket QR
        # codes); outside production, keys left unset are generated once, here.
        os.environ.update(shared_development_keys(settings))
    if settings.environment != "production":
        _migrate(settings)  # development just works; production migrates as a release step
    base = f"http://{host}:{port}"
    lines = [
        f"TickEx API      {base}/v1/events",
        f"API docs        {base}/docs  (OpenAPI: {base}/schema/openapi.json)",
        f"health          {base}/healthz  {base}/readyz  metrics: {base}/metrics",
        f"storage         {redact_url(settings.database_url)}",
        f"emails          {_mail_destination(settings)}",
    ]
    if (warning := settings.mail_warning()) is not None:
        lines.append(f"WARNING         {warning}")
    print("\n".join([*lines, "stop with Ctrl-C"]), file=sys.stderr)
    if importlib.util.find_spec("granian") is not None:
        from granian import Granian
        from granian.constants import Interfaces

        loop = server_loop()
        Granian(
            FACTORY, address=host, port=port, interface=Interfaces.ASGI, workers=workers,
            factory=True, loop=loop,
        ).serve()  # fmt: skip
        return 0
    if importlib.util.find_spec("uvicorn") is not None:
        uvicorn = importlib.import_module("uvicorn")
        uvicorn.run(FACTORY, factory=True, host=host, port=port, workers=workers)
        return 0
    print("no ASGI server installed: pip install 'tickex[http]'", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tickex serve", description="serve the HTTP API")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return serve(args.host, args.port, args.workers)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
