"""What every local fake provider (``fake_oidc``, ``fake_resend``) needs: a threading HTTP
server on 127.0.0.1 with a free port, served from a daemon thread, started and stopped
with the fake (``with Fake() as fake:``). The fake says which handler answers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer:
    """Base of a fake provider: ``handler_class()`` is the request handler bound to this
    fake; ``url`` is ``http://127.0.0.1:<port>`` once started."""

    thread_name = "fake-provider"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def bound(self, handler: type[BaseHTTPRequestHandler]) -> type[BaseHTTPRequestHandler]:
        """``handler`` bound to this fake, which it reads as ``self.fake`` (the server makes
        one handler per request, so the fake cannot be passed in)."""
        return type("Handler", (handler,), {"fake": self})

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"
