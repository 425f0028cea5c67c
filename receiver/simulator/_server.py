"""Serving an ASGI app with uvicorn in a background thread, on a loopback port chosen by the OS.

Used by the demo (the simulator and a vendor app side by side) and by tests that need real
HTTP. The socket is bound before the thread starts, so the port is known at once and no other
process can take it in between.

    >>> from starlette.applications import Starlette
    >>> with ServerThread(Starlette()) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any, Final

import uvicorn

STARTUP_TIMEOUT: Final = 10.0


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ServerThread:
    """``app`` served by uvicorn on ``host`` in a daemon thread; a context manager.

    ``graceful`` bounds how long :meth:`stop` waits for requests still running.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", graceful: int = 2) -> None:
        self.socket = bind_socket(host)
        self.url = url_of(self.socket)
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            ws="none",  # nothing here speaks websockets; avoids importing a websockets backend
            timeout_graceful_shutdown=graceful,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        except BaseException as exc:  # reported by start()/stop() in the calling thread
            self._error = exc

    def start(self) -> ServerThread:
        """Start serving; returns when the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The server on {self.url} did not start in time.")
            time.sleep(0.01)
        if not self.server.started:
            self.socket.close()
            raise RuntimeError(f"The server on {self.url} did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self._thread.join(STARTUP_TIMEOUT)
        self.socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
