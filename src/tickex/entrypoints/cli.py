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
    app = TickEx.from_settings(settings)
    app.services.storage.migrate()
    print(f"migrated {redact_url(settings.database_url)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
