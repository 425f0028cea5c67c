"""Fixtures for the receiver.platform tests: the simulator served over real HTTP on loopback,
behind a recorder that keeps every exchange (and checks each against the platform's OpenAPI
when the test ends) and can answer transient failures; clients of it, sync and async."""

from __future__ import annotations

import asyncio
import functools
import re
import socket
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import anyio.from_thread
import pytest

from receiver.platform import AsyncWebhooksClient, RetryPolicy, WebhooksClient
from receiver.simulator import Simulator, create_simulator
from receiver.simulator._server import ServerThread
from receiver.simulator.problems import Problem
from tests.simulator.schema import check_schema, check_webhook, operation

TOKEN = "platform-test-token-0123456789"
PRODUCT = "PRD-1111-1111"
WEBHOOKS = "/public/v1/notifications/webhooks"
# Fast retries: the tests see them happen without waiting for them.
FAST = RetryPolicy(attempts=3, total=10.0, backoff=0.01, max_backoff=0.05)


@dataclass
class Exchange:
    """One request the simulator got and its answer."""

    method: str
    path: str
    query: str
    body: bytes
    status: int = 0
    answer: bytes = b""
    planned: bool = False  # answered by the recorder (a planned failure), not the simulator


@dataclass
class Recorder:
    """ASGI middleware in front of the simulator: records every exchange; answers the planned
    failures (``fail``) or waits before answering (``delay``) first."""

    app: Any
    exchanges: list[Exchange] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    delays: deque[float] = field(default_factory=deque)

    def fail(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` (ProblemDetails)."""
        self.failures.extend([(status, headers or {})] * times)

    def delay(self, seconds: float, times: int = 1) -> None:
        self.delays.extend([seconds] * times)

    def requests(self, method: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if method is None or e.method == method]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        exchange = Exchange(
            scope["method"], scope["path"], scope["query_string"].decode(), b"".join(chunks)
        )
        self.exchanges.append(exchange)
        if self.delays:
            await asyncio.sleep(self.delays.popleft())
        if self.failures:
            status, headers = self.failures.popleft()
            exchange.planned = True
            response = Problem(status, "Planned by the test.", headers=headers).response(
                scope["path"]
            )
            await response(scope, receive, self._recording(send, exchange))
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": exchange.body, "more_body": False}

        await self.app(scope, replay, self._recording(send, exchange))

    @staticmethod
    def _recording(send: Any, exchange: Exchange) -> Any:
        async def recording(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            elif message["type"] == "http.response.body":
                exchange.answer += message.get("body", b"")
            await send(message)

        return recording


@dataclass
class Platform:
    """The served simulator: ``url`` (the API's base URL), ``sim``, ``recorder``."""

    url: str
    sim: Simulator
    recorder: Recorder
    token: str = TOKEN

    def client(self, **options: Any) -> WebhooksClient:
        options.setdefault("retry", FAST)
        return WebhooksClient(self.url, self.token, **options)


@pytest.fixture
def platform() -> Iterator[Platform]:
    """A simulator on a loopback port; every exchange is checked against the OpenAPI at the
    end of the test."""
    sim = create_simulator(token=TOKEN, allow_http=True)
    recorder = Recorder(sim)
    try:
        with ServerThread(recorder) as server:
            yield Platform(server.url, sim, recorder)
    finally:
        sim.close()
    for exchange in recorder.exchanges:
        check_exchange(exchange)


class Blocking:
    """An AsyncWebhooksClient driven from sync test code through a blocking portal: the same
    calls as a WebhooksClient, so one test covers both clients."""

    def __init__(self, client: AsyncWebhooksClient, portal: anyio.from_thread.BlockingPortal):
        self._client = client
        self._portal = portal

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        return lambda *args, **kwargs: self._portal.call(functools.partial(method, *args, **kwargs))


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, platform: Platform) -> Iterator[Any]:
    """A client of the served simulator: a WebhooksClient, or an AsyncWebhooksClient."""
    if request.param == "sync":
        with platform.client() as client:
            yield client
        return
    with anyio.from_thread.start_blocking_portal("asyncio") as portal:
        client = AsyncWebhooksClient(platform.url, platform.token, retry=FAST)
        yield Blocking(client, portal)
        portal.call(client.aclose)


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- the OpenAPI check of every exchange -----------------------------------------------------------

_ONE = re.compile(rf"^{WEBHOOKS}/[^/]+$")
_ACTION = re.compile(rf"^{WEBHOOKS}/[^/]+/(enable|disable)$")
# Query parameters each operation may carry besides RQL expressions: the OpenAPI declares
# ``select``; list pages with ``limit``/``offset`` (platform.md §4.1).
_PARAMS = {"GET list": {"select", "limit", "offset"}}


def _template(path: str) -> str:
    if path == WEBHOOKS:
        return WEBHOOKS
    action = _ACTION.match(path)
    if action:
        return f"{WEBHOOKS}/{{id}}/{action.group(1)}"
    assert _ONE.match(path), f"{path} is not a Webhook API path"
    return f"{WEBHOOKS}/{{id}}"


def check_exchange(exchange: Exchange) -> None:
    """The request fits the OpenAPI operation it names, and so does the answer: its status is
    one the operation lists (or an error, as ProblemDetails), its body the listed schema."""
    import json

    template = _template(exchange.path)
    op = operation(exchange.method, template)
    where = f"{exchange.method} {exchange.path}"
    declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    kind = "GET list" if exchange.method == "GET" and template == WEBHOOKS else ""
    allowed = declared | _PARAMS.get(kind, set())
    for part in filter(None, exchange.query.split("&")):
        text = unquote(part)
        if "(" in text.split("=", 1)[0]:
            assert kind == "GET list", f"{where}: an RQL filter where the API takes none"
            continue
        name = text.split("=", 1)[0]
        assert name in allowed, f"{where}: query parameter {name!r} is not the API's"
    body = op.get("requestBody")
    if body is None:
        assert not exchange.body, f"{where}: a body the operation does not take"
    else:
        schema = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        check_schema(json.loads(exchange.body), schema)
    status = exchange.status
    answer = json.loads(exchange.answer) if exchange.answer else None
    if 200 <= status < 300:
        assert str(status) in op["responses"], f"{where}: {status} is not an answer it lists"
        content = op["responses"][str(status)].get("content")
        if content is None:
            assert answer is None, f"{where}: a body in a {status} answer"
            return
        schema = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        if schema == "Webhook":
            check_webhook(answer)
        else:
            assert schema == "WebhookListResponse"
            check_schema({**answer, "data": []}, schema)
            for item in answer["data"]:
                check_webhook(item)
    else:
        check_schema(answer, "ProblemDetails")
