"""uvicorn's httptools protocol with a bound on the request head (the request line and headers).

httptools accepts request heads of any size: a client could send megabytes of headers and the
server would buffer them all before the app sees the request. ``receiver serve`` uses this
protocol instead: a head over ``MAX_HEAD_BYTES`` (counted as it arrives, and as it is parsed) is
answered 431 and the connection closed. The rest of what the client sends is read and dropped
for a moment first, so that the client reads the answer instead of a connection reset.

It also sends what one turn of the event loop wrote on a connection in one write: uvicorn writes
an answer's head and its body apart, two system calls and two TCP segments for every answer
(:class:`CoalescingTransport`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES: Final = 64 * 1024
LINGER_SECONDS: Final = 2.0
_BODY: Final = b'{"id":"headers_too_large","message":"The request headers are too large."}'
_ANSWER: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class _HeadTooLarge(Exception):
    pass


class CoalescingTransport:
    """A transport whose writes wait for the end of the event loop's turn and then go out as
    one. Everything that ends or inspects the connection sends what waits first; the rest is
    the transport's own."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._pending is None:
            self._pending = [bytes(data)]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(bytes(data))

    def flush(self) -> None:
        """Send what waits (nothing when the connection is closing)."""
        pending, self._pending = self._pending, None
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        waiting = sum(map(len, self._pending)) if self._pending else 0
        return waiting + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class BoundedHeadProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that refuses a request head over ``MAX_HEAD_BYTES`` with 431, and
    writes through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(
            CoalescingTransport(transport, self.loop)  # type: ignore[arg-type]
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._received_in_head = 0  # bytes received since the head began (head and beyond)
        self._parsed_head = 0  # bytes of request line and headers parsed
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # read and dropped until the connection closes
        if self._in_head:
            self._received_in_head += len(data)
            # One read may hold the end of the head and the body: allow a read's worth over.
            if self._received_in_head > 2 * MAX_HEAD_BYTES + len(data):
                self._refuse()
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._parsed_head = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._received_in_head = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # the next request on this connection starts with its head

    def send_400_response(self, msg: str) -> None:
        if self._parsed_head > MAX_HEAD_BYTES:  # the parse stopped in _count
            self._refuse()
        else:
            super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._parsed_head += size
        if self._parsed_head > MAX_HEAD_BYTES:
            raise _HeadTooLarge  # httptools stops the parse; uvicorn answers through send_400

    def _refuse(self) -> None:
        self._refused = True
        self.transport.write(_ANSWER)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)


__all__ = ["MAX_HEAD_BYTES", "BoundedHeadProtocol"]
