"""Shared by the receiver.secrets tests: the ids and secrets they use, and fake sources, clocks,
platform API and secret functions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import anyio
import httpx
import pytest

from receiver.secrets import CachedSecrets, SecretSource

SECRET = "hunter2-very-secret"
TOKEN = "idt:TKN-0000-0000:not-a-real-token"
BASE_URL = "https://api.example.test"
WEBHOOK = "WBH-5433-8787"
PRODUCT = "PRD-1111-1111"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


# --- fakes -------------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingSource:
    """A SecretSource that records its calls; ``gate`` holds every call until set."""

    def __init__(
        self,
        answers: Mapping[str, tuple[bytes, ...]] | None = None,
        *,
        default: tuple[bytes, ...] = (),
        gate: anyio.Event | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.default = default
        self.gate = gate
        self.error = error
        self.calls: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        self.calls.append(webhook_id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.error is not None:
                raise self.error
            return self.answers.get(webhook_id, self.default)
        finally:
            self.in_flight -= 1

    def known_webhook_ids(self) -> frozenset[str] | None:
        return frozenset(self.answers)


def cached(source: SecretSource, **kwargs: Any) -> CachedSecrets:
    kwargs.setdefault("clock", FakeClock())
    return CachedSecrets(source, **kwargs)


class FakeApi:
    """A MockTransport handler playing the platform's webhook endpoint."""

    def __init__(self, webhooks: Mapping[str, object] | None = None) -> None:
        self.webhooks = dict(webhooks or {})
        self.requests: list[httpx.Request] = []
        self.response: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.response is not None:
            return self.response(request)
        webhook_id = request.url.path.rsplit("/", 1)[-1]
        if webhook_id not in self.webhooks:
            return httpx.Response(404, json={"title": "Not Found"})
        return httpx.Response(200, json=self.webhooks[webhook_id])


class AsyncCallableObject:
    async def __call__(self, webhook_id: str) -> bytes:
        return b"from-object"


async def async_lookup(prefix: str, webhook_id: str) -> str:
    return prefix + webhook_id
