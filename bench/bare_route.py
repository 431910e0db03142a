"""The bare route of ``bench/flash_sale_http.py``: what the server stack alone allows.

A Litestar application with one route, ``GET /v1/events/{slug}``, that returns fixed bytes
(the body of a real ``getEvent`` answer, read from ``BENCH_BARE_BODY_FILE``), served by
granian exactly as ``tickex serve`` serves TickEx (same interface, same worker count). The
distance between ``getEvent`` and this route is what TickEx's read costs on top of HTTP.

    BENCH_BARE_BODY_FILE=body.json python bench/bare_route.py PORT WORKERS
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from litestar import Litestar, Response, get

BODY_FILE = "BENCH_BARE_BODY_FILE"
FACTORY = "bare_route:create"


def create() -> Litestar:
    """The server's factory (one application per worker process)."""
    body = Path(os.environ[BODY_FILE]).read_bytes()

    @get("/v1/events/{slug:str}", sync_to_thread=False)
    def bare(slug: str) -> Response[bytes]:  # noqa: ARG001 (a route with a parameter)
        return Response(body, media_type="application/json")

    return Litestar([bare], openapi_config=None, logging_config=None, debug=False)


def main(argv: list[str]) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    from tickex.entrypoints.http.serve import server_loop

    port, workers = int(argv[0]), int(argv[1])
    here = str(Path(__file__).parent)  # the worker processes import FACTORY from here
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    Granian(
        FACTORY, address="127.0.0.1", port=port, interface=Interfaces.ASGI, workers=workers,
        factory=True, loop=server_loop(),  # the event loop tickex serve runs on
    ).serve()  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
