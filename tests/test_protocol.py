"""receiver serve's HTTP protocol: a request head over 64 KiB gets 431, everything else is
served as uvicorn serves it (keep-alive and pipelined requests included)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from receiver._protocol import MAX_HEAD_BYTES, BoundedHeadProtocol, CoalescingTransport

pytestmark = pytest.mark.slow


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"got %d" % len(body)})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    config = uvicorn.Config(
        echo,
        host="127.0.0.1",
        port=0,
        http=BoundedHeadProtocol,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    (sock,) = [s for srv in server.servers for s in srv.sockets]
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data``, read until the server closes (each exchange ends with ``Connection:
    close`` or a refusal; no half-close from the client, which uvicorn may take as the end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        # Refused mid-send: read what came back.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def request(head_padding: int = 0, body: bytes = b"", *, close: bool = True) -> bytes:
    head = b"POST / HTTP/1.1\r\nHost: x\r\n"
    if head_padding:
        head += b"X-Pad: " + b"a" * head_padding + b"\r\n"
    head += b"Content-Length: %d\r\n" % len(body)
    if close:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + body


@pytest.mark.parametrize("padding", [MAX_HEAD_BYTES + 1, 10 * MAX_HEAD_BYTES, 100 * MAX_HEAD_BYTES])
def test_a_head_over_the_limit_is_answered_431(port: int, padding: int) -> None:
    answer = exchange(port, request(padding))
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b'"id":"headers_too_large"' in answer


def test_a_large_body_after_a_small_head_is_served(port: int) -> None:
    answer = exchange(port, request(body=b"x" * (4 * MAX_HEAD_BYTES)))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"got %d" % (4 * MAX_HEAD_BYTES) in answer


def test_keep_alive_requests_each_get_a_fresh_allowance(port: int) -> None:
    # Three requests on one connection, each head just under the limit: all served.
    pipelined = request(MAX_HEAD_BYTES - 200, close=False) * 2 + request(MAX_HEAD_BYTES - 200)
    answer = exchange(port, pipelined)
    assert answer.count(b"HTTP/1.1 200 ") == 3


class RecordingTransport:
    """What reached the socket, write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def write_eof(self) -> None:
        self.events.append("eof")

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


def coalescing() -> tuple[CoalescingTransport, RecordingTransport, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    raw = RecordingTransport()
    return CoalescingTransport(raw, loop), raw, loop  # type: ignore[arg-type]


def test_an_answers_head_and_body_leave_in_one_write_at_the_end_of_the_turn() -> None:
    transport, raw, loop = coalescing()
    try:

        async def answer() -> None:
            transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
            transport.write(b"body")
            assert raw.writes == []
            assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
            await asyncio.sleep(0)
            transport.write(b"next")

        loop.run_until_complete(answer())
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


@pytest.mark.parametrize("ending", ["close", "write_eof"])
def test_what_waits_is_sent_before_the_connection_ends(ending: str) -> None:
    transport, raw, loop = coalescing()
    try:
        transport.write(b"last words")
        getattr(transport, ending)()
        assert raw.writes == [b"last words"]
        assert raw.events == [{"close": "close", "write_eof": "eof"}[ending]]
    finally:
        loop.close()


def test_nothing_is_written_to_a_closing_connection_and_the_rest_passes_through() -> None:
    transport, raw, loop = coalescing()
    try:
        transport.write(b"too late")
        raw.closing = True
        transport.flush()
        assert raw.writes == []
        assert transport.get_extra_info("peername") == "extra peername"
    finally:
        loop.close()


def test_one_write_per_answer_on_a_real_connection(port: int) -> None:
    """Served by the protocol: the head, the body and the chunked ending arrive together."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200")
    assert first.endswith(b"got 2\r\n0\r\n\r\n")
