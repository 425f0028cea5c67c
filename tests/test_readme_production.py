"""The README's "Running in production" section, run as printed: the hooks example opens its
client at startup, handlers reach it as ctx.state, a failure reaches the error hook, and the
settings table names every option's variable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from receiver import Receiver, tokens
from receiver.settings import Settings, env_var
from tests.conftest import load_fixture, post
from tests.test_lifecycle import Lifespan

pytestmark = pytest.mark.anyio
README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = README.read_text().split("## Running in production", 1)[1].split("\n## ", 1)[0]


def hooks_example() -> dict[str, Any]:
    (code,) = re.findall(r"```python\n(# hooks\.py\n.*?)```", SECTION, re.S)
    namespace: dict[str, Any] = {"__name__": "hooks"}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    return namespace


async def test_the_hooks_example_runs_as_printed() -> None:
    example = hooks_example()
    app: Receiver = example["app"]
    lifespan = Lifespan(app)
    assert (await lifespan.startup())["type"] == "lifespan.startup.complete"
    assert isinstance(app.state.stock, httpx.AsyncClient)  # opened by the startup hook
    stock: dict[str, Any] = {"available": 0}

    def stock_service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=stock) if stock else httpx.Response(503)

    await app.state.stock.aclose()
    app.state.stock = httpx.AsyncClient(
        base_url="https://stock.example.com", transport=httpx.MockTransport(stock_service)
    )
    order = load_fixture("order_purchase_full.json")
    token = tokens.sign("the-webhook-secret", tokens.platform_claims("WBH-5433-8787"))
    refused = (await post(app, order, token=token)).json()
    assert refused["error"]["id"] == "ACME004"
    stock.clear()  # the stock service fails: the handler raises
    failed = await post(app, order, token=token, headers={"X-Request-Id": "req-9"})
    assert failed.status_code == 500
    assert (await lifespan.shutdown())["type"] == "lifespan.shutdown.complete"  # waits for hooks
    assert example["alerts"] == ["ValidatePurchaseOrderDraft failed (HTTPStatusError), req-9"]
    assert app.state.stock.is_closed  # by the shutdown hook


def test_the_settings_table_names_every_option() -> None:
    table = set(re.findall(r"^\| `(RECEIVER_[A-Z_]+)`(?:, `(RECEIVER_[A-Z_]+)`)?", SECTION, re.M))
    named = {name for row in table for name in row if name}
    expected = {env_var(name) for name in Settings.model_fields}
    assert expected | {"RECEIVER_SECRETS", "RECEIVER_STORE"} == named
