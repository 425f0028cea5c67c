"""Raw ASGI plumbing: the body is never read past its limit, and not at all when the declared
length is over it."""

from __future__ import annotations

from typing import Any

import pytest

from receiver._http import read_body
from receiver.errors import RequestError

pytestmark = pytest.mark.anyio

LIMIT = 1000


class Chunks:
    """A receive() that hands out ``count`` chunks of ``size`` bytes and counts what it gave."""

    def __init__(self, count: int, size: int) -> None:
        self.left = count
        self.size = size
        self.given = 0

    async def __call__(self) -> dict[str, Any]:
        self.left -= 1
        self.given += self.size
        return {"type": "http.request", "body": b"x" * self.size, "more_body": self.left > 0}


def scope(content_length: int | None = None) -> dict[str, Any]:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    return {"type": "http", "headers": headers}


async def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    receive = Chunks(count=3, size=400)
    with pytest.raises(RequestError) as caught:
        await read_body(scope(content_length=LIMIT + 1), receive, LIMIT)
    assert caught.value.status == 413
    assert receive.given == 0


@pytest.mark.parametrize("declared", [None, 10], ids=["undeclared", "understated"])
async def test_reading_stops_at_the_chunk_that_passes_the_limit(declared: int | None) -> None:
    receive = Chunks(count=100, size=400)
    with pytest.raises(RequestError) as caught:
        await read_body(scope(content_length=declared), receive, LIMIT)
    assert caught.value.status == 413
    assert receive.given == 1200  # three chunks: the third passes 1000 bytes; nothing after it


async def test_a_body_at_the_limit_is_read_whole() -> None:
    receive = Chunks(count=2, size=LIMIT // 2)
    assert await read_body(scope(content_length=LIMIT), receive, LIMIT) == b"x" * LIMIT
