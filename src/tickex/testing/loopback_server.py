"""What every local fake provider (``fake_oidc``, ``fake_resend``) needs: a threading HTTP
server on 127.0.0.1 with a free port, served from a daemon thread, started and stopped
with the fake (``with Fake() as fake:``), and a quiet request handler to answer with."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackHandler(BaseHTTPRequestHandler):
    """Base of a fake's request handler. It logs nothing (a line could carry a key, a code
    or a token) and reads its fake as ``self.fake``."""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # unless the client gave up waiting (a timeout test)


class LoopbackServer:
    """Base of a fake provider: ``handler`` answers its requests (one handler per request,
    so the fake cannot be passed in: a subclass bound to this fake is served); ``url`` is
    ``http://127.0.0.1:<port>`` once started."""

    def __init__(self, handler: type[LoopbackHandler], *, name: str) -> None:
        self._handler = handler
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        bound = type("Handler", (self._handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self._name,
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
