"""receiver.secrets.ids: which webhook ids are plausible, and that no source looks up any other."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver.secrets import (
    CallableSecrets,
    ProductSecrets,
    SecretSource,
    StaticSecrets,
    is_plausible_webhook_id,
)

from .conftest import BASE_URL, PRODUCT, TOKEN, CountingSource, FakeApi, cached

pytestmark = pytest.mark.anyio


PLAUSIBLE = ["WBH-5433-8787", "WH-123-123", "a", "7", "A" * 64, "a.b:c_d-e", "WBH-1.2:3"]
IMPLAUSIBLE: list[object] = [
    "",
    "A" * 65,
    "-WBH-1",
    ".hidden",
    "_x",
    "WBH 1",
    "WBH/1",
    "../etc",
    "WBH-1\n",
    "WBH-1?x=1",
    "WBH-1#",
    "ÄBC",
    "١٢٣",
    "WBH-\uff11",
    None,
    123,
    b"WBH-1",
    ["WBH-1"],
]


@pytest.mark.parametrize("webhook_id", PLAUSIBLE)
async def test_plausible_ids(webhook_id: str) -> None:
    assert is_plausible_webhook_id(webhook_id)


@pytest.mark.parametrize("webhook_id", IMPLAUSIBLE, ids=repr)
async def test_implausible_ids(webhook_id: object) -> None:
    assert not is_plausible_webhook_id(webhook_id)


@pytest.mark.parametrize("webhook_id", IMPLAUSIBLE, ids=repr)
async def test_implausible_ids_never_reach_any_source(webhook_id: Any) -> None:
    fake = CountingSource(default=(b"s",))
    calls: list[str] = []

    def fn(wid: str) -> str:
        calls.append(wid)
        return "s"

    api = FakeApi()
    client = httpx.AsyncClient(transport=httpx.MockTransport(api))
    cache = cached(fake)
    sources: list[SecretSource] = [
        StaticSecrets({"WBH-1": "s"}),
        CallableSecrets(fn),
        ProductSecrets({PRODUCT: "s"}, webhook_products={"WBH-1": PRODUCT}),
        ProductSecrets({PRODUCT: "s"}, api_base_url=BASE_URL, api_token=TOKEN, http_client=client),
        cache,
    ]
    for source in sources:
        assert await source.secrets_for(webhook_id) == ()
    assert fake.calls == calls == []
    assert api.requests == []
    assert cache.size == 0
    await client.aclose()


ANY_ID = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,70}\Z"),
    st.none(),
    st.integers(),
    st.binary(max_size=10),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(webhook_ids=st.lists(ANY_ID, max_size=10))
async def test_arbitrary_ids_never_raise_and_only_plausible_ones_are_looked_up(
    webhook_ids: list[Any],
) -> None:
    fake = CountingSource(default=(b"s",))
    fn_calls: list[str] = []
    api_paths: list[str] = []

    def fn(webhook_id: str) -> list[str]:
        fn_calls.append(webhook_id)
        return ["s"]

    def api(request: httpx.Request) -> httpx.Response:
        api_paths.append(request.url.path)
        return httpx.Response(200, json={"criteria": {"product.id": PRODUCT}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        product = ProductSecrets(
            {PRODUCT: "s"}, api_base_url=BASE_URL, api_token=TOKEN, http_client=client
        )
        sources: list[SecretSource] = [
            cached(fake, max_lookups_per_second=math.inf),
            CallableSecrets(fn),
            product,
            StaticSecrets({"WBH-1": "s"}),
        ]
        for webhook_id in webhook_ids:
            plausible = is_plausible_webhook_id(webhook_id)
            for source in sources:
                answer = await source.secrets_for(webhook_id)
                assert isinstance(answer, tuple)
                if not plausible:
                    assert answer == ()
    plausible_ids = [w for w in webhook_ids if is_plausible_webhook_id(w)]
    assert fn_calls == plausible_ids
    assert api_paths == [f"/public/v1/notifications/webhooks/{w}" for w in plausible_ids]
    assert set(fake.calls) == set(plausible_ids)
