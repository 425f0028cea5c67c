"""receiver.dispatch.CallContext.platform: the handler reaches the platform API through one
pooled client of the receiver, opened at startup and closed at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from receiver import Order, Receiver
from receiver.dispatch import CallContext
from receiver.platform import AsyncWebhooksClient, WebhooksClient
from receiver.simulator import create_simulator
from receiver.simulator._server import ServerThread
from receiver.testing import PlatformClient, samples

pytestmark = pytest.mark.anyio

API_TOKEN = "dispatch-test-api-token-0123"
SECRET = "dispatch-test-secret-dispatch-test-01"


@pytest.fixture
def api_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A simulator on loopback, named by MPT_API_BASE_URL and MPT_API_TOKEN."""
    sim = create_simulator(token=API_TOKEN, allow_http=True)
    try:
        with ServerThread(sim) as server:
            monkeypatch.setenv("MPT_API_BASE_URL", server.url)
            monkeypatch.setenv("MPT_API_TOKEN", API_TOKEN)
            yield server.url
    finally:
        sim.close()


def app_reading_its_webhook(seen: list[AsyncWebhooksClient]) -> Receiver:
    app = Receiver(secrets=lambda webhook_id: SECRET)

    @app.validate_purchase_order_draft
    async def check(order: Order, ctx: CallContext) -> Order:
        seen.append(ctx.platform)
        webhook = await ctx.platform.get(ctx.webhook_id)
        order.notes = f"registered at {webhook.url}"
        return order

    return app


async def test_a_handler_calls_the_platform_through_ctx_platform(api_url: str) -> None:
    with WebhooksClient(api_url, API_TOKEN) as api:
        webhook = api.create(
            "ValidatePurchaseOrderDraft",
            "https://acme.example.com/",
            {"product.id": "PRD-1111-1111"},
            secret=SECRET,
        )
    seen: list[AsyncWebhooksClient] = []
    app = app_reading_its_webhook(seen)
    app.startup()
    caller = PlatformClient(app, secret=SECRET, webhook_id=webhook.id or "")

    first = await caller.acall("ValidatePurchaseOrderDraft", samples.purchase_order())
    second = await caller.acall("ValidatePurchaseOrderDraft", samples.purchase_order())

    assert first.status == second.status == 200
    assert first.json["notes"] == "registered at https://acme.example.com/"
    assert seen[0] is seen[1]  # one pooled client for every call
    pool: Any = seen[0]._http
    assert pool is not None
    assert not pool.is_closed
    await app.shutdown()
    assert pool.is_closed


async def test_without_the_api_settings_ctx_platform_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MPT_API_BASE_URL", raising=False)
    monkeypatch.delenv("MPT_API_TOKEN", raising=False)
    app = app_reading_its_webhook([])
    caller = PlatformClient(app, secret=SECRET, webhook_id="WBH-1111-2222")

    with caplog.at_level(logging.ERROR, logger="receiver"):
        result = await caller.acall("ValidatePurchaseOrderDraft", samples.purchase_order())

    assert result.status == 500
    assert "set MPT_API_BASE_URL and MPT_API_TOKEN" in caplog.text
    await app.shutdown()


async def test_an_unusable_api_address_turns_ctx_platform_off_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The receiver starts: a handler that never uses ctx.platform must not fail over it.
    monkeypatch.setenv("MPT_API_BASE_URL", "http://api.example.test")
    monkeypatch.setenv("MPT_API_TOKEN", API_TOKEN)
    app = app_reading_its_webhook([])

    with caplog.at_level(logging.WARNING, logger="receiver.platform"):
        services = app.startup()

    assert services.platform is None
    assert "ctx.platform is off: MPT_API_BASE_URL (--api-url) is http:// to api.example.test" in (
        caplog.text
    )
    assert API_TOKEN not in caplog.text
    await app.shutdown()
