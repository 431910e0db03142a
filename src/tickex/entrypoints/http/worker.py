"""The worker, in-process: for development and the embedded default, the API process also
runs the worker's round (``tickex.entrypoints.worker``) every few seconds; production runs
``tickex worker`` as a process of its own. The use cases are synchronous, so each round runs
in a worker thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import anyio.to_thread
from litestar import Litestar

from tickex.entrypoints.worker import logger, worker_round
from tickex.facade import TickEx


async def run_worker(tickex: TickEx, interval: float) -> None:
    """``worker_round`` in a worker thread, forever, every ``interval`` seconds. A failed
    round is logged and the next one runs as usual."""
    while True:
        try:
            await anyio.to_thread.run_sync(worker_round, tickex)
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
