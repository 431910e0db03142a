"""The ``tickex`` command."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from tickex.settings import Settings, SettingsError, redact_url

if TYPE_CHECKING:
    from tickex.facade import TickEx

#: where ``create-admin`` takes the password from (never from a command-line argument,
#: which other users of the machine can read in the process list and shell history)
ADMIN_PASSWORD_VARIABLE = "TICKEX_ADMIN_PASSWORD"


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
    admin = sub.add_parser(
        "create-admin",
        help=f"open a platform admin account (password from {ADMIN_PASSWORD_VARIABLE}, "
        "or asked for)",
    )
    admin.add_argument("--email", required=True, help="the admin's email (to log in with)")
    admin.add_argument("--name", required=True, help="the admin's name")
    outbox = sub.add_parser("outbox", help="the messages the worker gave up on")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True)
    dead = outbox_sub.add_parser("dead", help="list dead messages, oldest first")
    dead.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    retry = outbox_sub.add_parser("retry", help="deliver dead messages again, from attempt 1")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", default=[], help="message ids (from 'outbox dead')")
    which.add_argument("--all", action="store_true", help="every dead message")
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
            app.migrate_storage()
            print(f"migrated {redact_url(settings.database_url)}")
        elif args.command == "create-admin":
            return _create_admin(app, args.email, args.name)
        elif args.command == "outbox":
            return _outbox(app, args)
        else:
            from tickex.entrypoints.demo import DEMO_LOGIN, seed_demo

            slug, created = seed_demo(app)
            state = "created" if created else "already there"
            base = f"http://{settings.host}:{settings.port}"
            print(f"demo event {state}: {base}/v1/events/{slug}")
            print("demo organizer login: {} / {}  (POST {}/v1/auth/login)".format(
                *DEMO_LOGIN, base))  # fmt: skip
    finally:
        app.close()
    return 0


def _outbox(app: TickEx, args: argparse.Namespace) -> int:
    """``outbox dead`` prints id, kind, attempts, time and last error (never a payload: it
    may hold a sign-in link); ``outbox retry`` revives them."""
    from pydantic import ValidationError

    from tickex.application.delivery.dead_letters import ListDeadMessages, RetryDeadMessages
    from tickex.domain.errors import DomainError

    try:
        if args.outbox_command == "dead":
            messages = app.list_dead_messages(ListDeadMessages(limit=args.limit))
            for m in messages:
                print(f"{m.id}  {m.kind.value:<16} attempts {m.attempts}  "
                      f"{m.available_at:%Y-%m-%d %H:%M:%S}Z  {m.last_error[:120]}")  # fmt: skip
            print(f"{len(messages)} dead message(s)")
            return 0
        command = (
            RetryDeadMessages(every=True) if args.all else RetryDeadMessages(message_ids=args.ids)
        )
        print(f"{app.retry_dead_messages(command)} message(s) queued again")
        return 0
    except ValidationError as exc:
        print(f"outbox: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"outbox: {exc}", file=sys.stderr)
        return 1


def _create_admin(app: TickEx, email: str, name: str) -> int:
    from pydantic import ValidationError

    from tickex.application.identity.create_admin import CreateAdmin
    from tickex.domain.errors import Conflict

    password = os.environ.get(ADMIN_PASSWORD_VARIABLE) or _ask_password()
    if password is None:
        return 2
    try:
        command = CreateAdmin(email=email, name=name, password=password)
    except ValidationError as exc:  # name the fields, never echo the values
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        print(f"create-admin: {problems}", file=sys.stderr)
        return 2
    try:
        user = app.create_admin(command)
    except Conflict:
        print(f"create-admin: {command.email} is already registered", file=sys.stderr)
        return 1
    print(f"admin created: {user.email} (user {user.id}); log in at POST /v1/auth/login")
    return 0


def _ask_password() -> str | None:
    if not sys.stdin.isatty():
        print(f"create-admin: set {ADMIN_PASSWORD_VARIABLE} or run in a terminal to be asked",
              file=sys.stderr)  # fmt: skip
        return None
    password = getpass.getpass("Password for the new admin (12 to 128 characters): ")
    if getpass.getpass("The same password again: ") != password:
        print("create-admin: the passwords differ", file=sys.stderr)
        return None
    return password


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
