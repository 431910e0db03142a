"""The ``tickex`` command."""

from __future__ import annotations

import argparse
import sys

from tickex.settings import Settings, SettingsError, redact_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tickex", description="TickEx ticketing backend")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="play the whole flow in-process and print what happened")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    sub.add_parser("seed-demo", help="add a published demo event to the database (idempotent)")
    serve = sub.add_parser("serve", help="serve the HTTP API (needs tickex[http])")
    serve.add_argument("--host", help="address to listen on (TICKEX_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (TICKEX_PORT, 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (1)")
    worker = sub.add_parser(
        "worker", help="expire holds and deliver the outbox until SIGTERM (production)"
    )
    worker.add_argument(
        "--interval", type=float, help="seconds between rounds (TICKEX_WORKER_INTERVAL, 5)"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    from tickex.facade import TickEx

    if args.command == "demo":
        from tickex.entrypoints.demo import run_demo

        run_demo(TickEx.in_memory())
        return 0
    if args.command == "serve":
        from tickex.entrypoints.http.serve import serve as run_server

        return run_server(args.host, args.port, args.workers)
    if args.command == "worker":
        from tickex.entrypoints.worker import serve_worker

        return serve_worker(args.interval)
    if args.command == "seed-demo":  # the demo organizer signs up self-serve
        settings = settings.model_copy(update={"organizer_self_serve": True})
    app = TickEx.from_settings(settings)
    try:
        if args.command == "migrate":
            app.services.storage.migrate()
            print(f"migrated {redact_url(settings.database_url)}")
        else:
            from tickex.entrypoints.demo import DEMO_LOGIN, seed_demo

            slug, created = seed_demo(app)
            state = "created" if created else "already there"
            base = f"http://{settings.host}:{settings.port}"
            print(f"demo event {state}: {base}/v1/events/{slug}")
            print("demo organizer login: {} / {}  (POST {}/v1/auth/login)".format(
                *DEMO_LOGIN, base))  # fmt: skip
    finally:
        app.services.storage.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
