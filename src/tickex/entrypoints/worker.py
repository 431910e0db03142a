"""``tickex worker``: the worker as a process of its own (production), and the one round of
work that it and the API's in-process worker share (``http/worker.py``).

A round expires the holds whose time is up, delivers the due outbox messages (emails,
refunds at the provider), each with its retries and idempotency key, and purges the
idempotency keys of requests older than a day. Several workers may run at once: releasing
a hold twice is a no-op, each message is claimed by one, a key is purged once.

SIGTERM or SIGINT stops the process gracefully: the round under way finishes (nothing is
cut off halfway), then the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from tickex.entrypoints.logs import configure_logging
from tickex.facade import TickEx
from tickex.settings import Settings, SettingsError

logger = logging.getLogger("tickex.worker")

DEFAULT_INTERVAL = 5.0


def worker_round(tickex: TickEx) -> None:
    """Expire holds, deliver the outbox, purge expired idempotency keys; log what was done
    (nothing when idle)."""
    expired = tickex.expire_holds()
    run = tickex.process_outbox()
    purged = tickex.purge_idempotency_keys()
    if expired.released or run.sent or purged:
        fields = {"holds_released": expired.released, "sent": run.sent, "keys_purged": purged}
        logger.info("worker round", extra={"fields": fields})


def run_worker(tickex: TickEx, interval: float, stop: threading.Event) -> int:
    """Rounds every ``interval`` seconds until ``stop`` is set; the number of rounds run.
    A failed round is logged and the next one runs as usual."""
    rounds = 0
    while not stop.is_set():
        try:
            worker_round(tickex)
        except Exception:
            logger.exception("worker round failed")
        rounds += 1
        stop.wait(interval)
    return rounds


def serve_worker(interval: float | None = None) -> int:
    """The ``tickex worker`` command: run until SIGTERM or SIGINT; the exit status."""
    try:
        settings = Settings.load()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if interval is None:
        interval = settings.worker_interval or DEFAULT_INTERVAL
    if not 0.01 <= interval <= 3600:
        print("expected 0.01 <= --interval <= 3600 seconds", file=sys.stderr)
        return 2
    if settings.database_url.startswith("memory://"):
        print(
            "the in-memory storage lives in one process: a worker of its own sees nothing",
            file=sys.stderr,
        )
        return 2
    configure_logging()
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        logger.info("worker stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    tickex = TickEx.from_settings(settings)
    logger.info("worker started", extra={"fields": {"interval_seconds": interval}})
    if (warning := settings.mail_warning()) is not None:
        logger.warning(warning)
    try:
        rounds = run_worker(tickex, interval, stop)
    finally:
        tickex.close()
    logger.info("worker stopped", extra={"fields": {"rounds": rounds}})
    return 0
