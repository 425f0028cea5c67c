"""Hostile traffic against looked-up secrets: forged webhook ids cannot starve a real webhook's
first call, and a lookup that hangs is cut off, frees its slot and does not hold shutdown."""

from __future__ import annotations

import secrets as random
import time
from typing import Any

import anyio
import httpx
import pytest

from receiver import Order, Receiver
from receiver.secrets import CachedSecrets, CallableSecrets, ProductSecrets
from tests.conftest import post, pyjwt_token

pytestmark = pytest.mark.anyio

PRODUCT, PRODUCT_SECRET = "PRD-1111-1111", "product-secret-product-secret-0001"
REAL, OTHER_REAL = "WBH-1111-0001", "WBH-1111-0002"
BUDGET = 2.0  # lookups a second
FLOOD = int(100 * BUDGET)  # forged ids, all at once: 100 times the budget


def forged_token() -> str:
    """A token for a random webhook id, signed with a random secret (what a forger can make)."""
    return pyjwt_token(secret=random.token_urlsafe(32), webhook_id=f"WBH-{random.randbelow(10**8)}")


def accepting(**options: Any) -> Receiver:
    app = Receiver(**options)

    @app.validate_purchase_order_draft
    def accept(order: Order) -> Order:
        return order

    return app


async def flood_then_first_call(app: Receiver, order: dict[str, Any], token: str) -> int:
    for _ in range(FLOOD):
        assert (await post(app, order, token=forged_token())).status_code == 401
    return (await post(app, order, token=token)).status_code


async def test_product_secrets_a_real_webhook_is_answered_through_a_flood(
    purchase_order: dict[str, Any],
) -> None:
    api_calls: list[str] = []

    def platform(request: httpx.Request) -> httpx.Response:
        webhook_id = request.url.path.rsplit("/", 1)[-1]
        api_calls.append(webhook_id)
        if webhook_id != REAL:
            return httpx.Response(404, json={"title": "Not Found"})
        return httpx.Response(200, json={"id": REAL, "criteria": {"product.id": PRODUCT}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as client:
        source = ProductSecrets(
            {PRODUCT: PRODUCT_SECRET},
            api_base_url="https://api.example.test",
            api_token="idt:TKN-0000-0000:x",
            http_client=client,
        )
        app = accepting(secrets=CachedSecrets(source, max_lookups_per_second=BUDGET))
        token = pyjwt_token(secret=PRODUCT_SECRET, webhook_id=REAL)
        assert await flood_then_first_call(app, purchase_order, token) == 200
    assert len(api_calls) <= BUDGET + 2  # the forged ids spent the general budget only
    assert api_calls[-1] == REAL


@pytest.mark.parametrize("how", ["vouched", "learned"])
async def test_a_callable_source_a_real_webhook_is_answered_through_a_flood(
    how: str, purchase_order: dict[str, Any]
) -> None:
    """A callable proves a token with the secrets it vouches for, or with those it has already
    answered (webhooks that share a product's secret)."""
    asked: list[str] = []

    def lookup(webhook_id: str) -> str | None:
        asked.append(webhook_id)
        return PRODUCT_SECRET if webhook_id in (REAL, OTHER_REAL) else None

    vouched = [PRODUCT_SECRET] if how == "vouched" else []
    source = CachedSecrets(CallableSecrets(lookup, vouched=vouched), max_lookups_per_second=BUDGET)
    app = accepting(secrets=source)
    if how == "learned":
        first = await post(app, purchase_order, token=pyjwt_token(PRODUCT_SECRET, OTHER_REAL))
        assert first.status_code == 200
    token = pyjwt_token(secret=PRODUCT_SECRET, webhook_id=REAL)
    assert await flood_then_first_call(app, purchase_order, token) == 200
    assert asked[-1] == REAL


async def test_without_proof_a_flood_still_spends_only_the_general_budget(
    purchase_order: dict[str, Any],
) -> None:
    asked: list[str] = []

    def lookup(webhook_id: str) -> None:
        asked.append(webhook_id)

    app = accepting(secrets=CachedSecrets(CallableSecrets(lookup), max_lookups_per_second=BUDGET))
    for _ in range(FLOOD):
        await post(app, purchase_order, token=forged_token())
    assert len(asked) <= BUDGET + 2


async def test_a_hanging_lookup_is_cut_off_and_frees_its_slot(
    purchase_order: dict[str, Any],
) -> None:
    release = anyio.Event()

    async def lookup(webhook_id: str) -> str | None:
        if webhook_id != REAL:
            await release.wait()  # never set: the source hangs for these ids
        return PRODUCT_SECRET

    source = CachedSecrets(
        CallableSecrets(lookup), max_concurrent_lookups=8, max_lookups_per_second=1000
    )
    app = accepting(secrets=source, secret_lookup_timeout=0.2)
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        answers: list[httpx.Response] = []

        async def hung(n: int) -> None:
            token = pyjwt_token(secret=PRODUCT_SECRET, webhook_id=f"WBH-9999-{n:04d}")
            answers.append(await post(app, purchase_order, token=token))

        for n in range(9):  # more than the concurrent lookups
            group.start_soon(hung, n)
    assert [a.status_code for a in answers] == [401] * 9
    assert {a.json()["id"] for a in answers} == {"secret_unavailable"}
    assert time.monotonic() - started < 5  # cut off at 0.2 s, in two waves at most
    # Every slot was freed: a real webhook is looked up and answered.
    ok = await post(app, purchase_order, token=pyjwt_token(PRODUCT_SECRET, REAL))
    assert ok.status_code == 200
    await app.shutdown()


@pytest.mark.parametrize("value", [0, -1, "soon"])
def test_the_lookup_timeout_is_a_positive_number(value: object) -> None:
    from receiver.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="secret_lookup_timeout must be a positive"):
        Receiver(secret_lookup_timeout=value)  # type: ignore[arg-type]
