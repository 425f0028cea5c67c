"""Hooks and readiness: startup hooks before /readyz turns 200, shutdown hooks after the last
call, error hooks that observe a failing handler and cannot change its answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from receiver import CallContext, Order, Receiver
from receiver.errors import ConfigurationError
from tests.conftest import SECRET, WEBHOOK_ID, post

pytestmark = pytest.mark.anyio


class Lifespan:
    """Drives an app's ASGI lifespan as a server does."""

    def __init__(self, app: Receiver) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def startup(self) -> dict[str, Any]:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
        self.task = asyncio.create_task(self.app(scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        return await self.outbox.get()

    async def shutdown(self) -> dict[str, Any]:
        await self.inbox.put({"type": "lifespan.shutdown"})
        message = await self.outbox.get()
        assert self.task is not None
        await self.task
        return message


@asynccontextmanager
async def client(app: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://x") as http:
        yield http


def make_app() -> Receiver:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order, ctx: CallContext) -> Order:
        order.set_error("POOL", str(ctx.state.pool))
        return order

    return app


async def test_hooks_run_in_order_and_readiness_follows(purchase_order: dict[str, Any]) -> None:
    app = make_app()
    events: list[str] = []
    gate = asyncio.Event()

    @app.on_startup
    async def open_pool() -> None:
        events.append("startup")
        await gate.wait()
        app.state.pool = "pool-1"

    @app.on_shutdown
    def close_pool() -> None:
        events.append("shutdown")

    lifespan = Lifespan(app)
    async with client(app) as http:
        starting = asyncio.create_task(lifespan.startup())
        await asyncio.sleep(0.01)
        assert (await http.get("/readyz")).status_code == 503  # startup hooks still running
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
        gate.set()
        assert (await starting)["type"] == "lifespan.startup.complete"
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        answer = await post(app, purchase_order)
        assert answer.json()["error"]["message"] == "pool-1"  # ctx.state is app.state
        assert (await lifespan.shutdown())["type"] == "lifespan.shutdown.complete"
        stopping = await http.get("/readyz")
        assert stopping.status_code == 503
        assert stopping.json() == {"id": "not_ready", "message": "Not ready: shutting down."}
    assert events == ["startup", "shutdown"]


async def test_a_failing_startup_hook_stops_startup_with_its_message() -> None:
    app = make_app()

    @app.on_startup
    def connect() -> None:
        raise ConnectionError("database at db:5432 refused")

    message = await Lifespan(app).startup()
    assert message["type"] == "lifespan.startup.failed"
    assert "startup hook" in message["message"]
    assert "database at db:5432 refused" in message["message"]


async def test_a_failing_shutdown_hook_is_logged_and_shutdown_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    app.on_shutdown(lambda: 1 / 0)
    lifespan = Lifespan(app)
    await lifespan.startup()
    assert (await lifespan.shutdown())["type"] == "lifespan.shutdown.complete"
    assert "The shutdown hook" in caplog.text


async def test_error_hooks_observe_failures_after_the_answer(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, failure_policy="reject", deadline=0.05)
    seen: list[tuple[str, str]] = []
    done = asyncio.Event()

    @app.validate_purchase_order_draft
    async def slow(order: Order) -> Order:
        if order.external_ids and order.external_ids.vendor == "slow":
            await asyncio.sleep(1)
        raise ValueError("no stock system")

    @app.on_error
    async def alert(error: BaseException, ctx: CallContext) -> None:
        seen.append((type(error).__name__, ctx.request_id))
        if len(seen) == 2:
            done.set()

    @app.on_error
    def broken(error: BaseException, ctx: CallContext) -> None:
        raise RuntimeError("the team channel is down")

    failed = await post(app, purchase_order, headers={"X-Request-Id": "req-1"})
    assert failed.json()["error"]["id"] == "RCV-VALIDATION-FAILED"  # the hooks changed nothing
    late = {**purchase_order, "externalIds": {"vendor": "slow"}}
    await post(app, late, headers={"X-Request-Id": "req-2"})
    await asyncio.wait_for(done.wait(), 5)
    assert sorted(seen) == [("TimeoutError", "req-2"), ("ValueError", "req-1")]
    await asyncio.sleep(0.05)
    assert "The error hook" in caplog.text
    assert "the team channel is down" in caplog.text


async def test_hooks_after_start_are_refused() -> None:
    app = make_app()
    app.startup()
    for decorator in (app.on_startup, app.on_shutdown):
        with pytest.raises(ConfigurationError, match="register hooks at import time"):
            decorator(lambda: None)


async def test_mounted_without_lifespan_ready_once_it_can_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
    unconfigured = Receiver()
    async with client(unconfigured) as http:
        refused = await http.get("/readyz")
    assert refused.status_code == 503
    assert "misconfigured" in refused.json()["message"]
    async with client(make_app()) as http:
        assert (await http.get("/readyz")).status_code == 200
    hooked = make_app()
    hooked.on_startup(lambda: None)
    async with client(hooked) as http:
        waiting = await http.get("/readyz")
    assert "startup hooks have not run" in waiting.json()["message"]
    logging.getLogger("receiver").debug("done")
