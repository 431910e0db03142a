"""The worker, in-process: for development and the embedded default, the API process also
expires holds and delivers the outbox every few seconds (production runs the worker as a
process of its own). The use cases are synchronous, so they run in a worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import anyio.to_thread
from litestar import Litestar

from tickex.facade import TickEx

logger = logging.getLogger("tickex.worker")


async def run_worker(tickex: TickEx, interval: float) -> None:
    """Expire holds and deliver the outbox, forever, every ``interval`` seconds. A failed
    round is logged and the next one runs as usual."""
    while True:
        try:
            expired = await anyio.to_thread.run_sync(tickex.expire_holds)
            run = await anyio.to_thread.run_sync(tickex.process_outbox)
            if expired.released or run.sent:
                logger.info(
                    "worker round",
                    extra={"fields": {"holds_released": expired.released, "sent": run.sent}},
                )
        except Exception:
            logger.exception("worker round failed")
        await asyncio.sleep(interval)


def in_process_worker(
    tickex: TickEx, interval: float
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A Litestar lifespan hook: the worker starts with the application and is stopped
    (after its current round) when the application shuts down."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(run_worker(tickex, interval), name="tickex-worker")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan
