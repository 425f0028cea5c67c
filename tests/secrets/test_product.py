"""receiver.secrets.product: ProductSecrets, its webhook -> product mapping or its lookup on the
platform API, and the messages of each way that lookup fails."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets import CachedSecrets, ProductSecrets, as_secret_source
from receiver.secrets.product import LOOKUP_ATTEMPTS

from .conftest import BASE_URL, PRODUCT, SECRET, TOKEN, WEBHOOK, FakeApi

pytestmark = pytest.mark.anyio


# --- ProductSecrets: mapping ------------------------------------------------------------------


async def test_product_secrets_with_a_webhook_mapping() -> None:
    source = ProductSecrets(
        {PRODUCT: [SECRET, "next"], "PRD-2222-2222": b"two"},
        webhook_products={WEBHOOK: PRODUCT, "WBH-2": "PRD-2222-2222", "WBH-3": "PRD-9999-9999"},
    )
    assert not source.uses_platform_api
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(), b"next")
    assert await source.secrets_for("WBH-2") == (b"two",)
    assert await source.secrets_for("WBH-3") == ()  # product without a secret
    assert await source.secrets_for("WBH-4") == ()  # webhook not mapped
    assert source.known_webhook_ids() == frozenset({WEBHOOK, "WBH-2", "WBH-3"})
    assert SECRET not in repr(source)
    assert as_secret_source(source) is source  # no lookups, nothing to cache


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        pytest.param(({},), {}, "non-empty mapping", id="empty"),
        pytest.param(([PRODUCT],), {}, "non-empty mapping", id="not-a-mapping"),
        pytest.param(({PRODUCT: ""},), {}, "product 'PRD-1111-1111' is empty", id="empty-secret"),
        pytest.param(({"PRD 1": "s"},), {}, "Key number 1 of product_secrets", id="bad-product"),
        pytest.param(
            ({PRODUCT: "s"},), {"webhook_products": {"WBH 1": PRODUCT}}, "of webhook_products"
        ),
        pytest.param(
            ({PRODUCT: "s"},),
            {"webhook_products": {WEBHOOK: 7}},
            r"webhook_products\['WBH-5433-8787'\] must be a product id",
            id="bad-product-value",
        ),
        pytest.param(
            ({PRODUCT: "s"},),
            {"webhook_products": {}, "timeout": 0},
            "timeout must be",
            id="timeout",
        ),
    ],
)
async def test_product_secrets_refuses_bad_configuration(
    args: tuple[Any, ...], kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment):
        ProductSecrets(*args, **kwargs)


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "Missing: MPT_API_BASE_URL, MPT_API_TOKEN."),
        ({"MPT_API_BASE_URL": BASE_URL}, "Missing: MPT_API_TOKEN."),
        ({"MPT_API_TOKEN": TOKEN}, "Missing: MPT_API_BASE_URL."),
    ],
)
async def test_product_secrets_needs_a_mapping_or_the_api(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    monkeypatch.delenv("MPT_API_BASE_URL", raising=False)
    monkeypatch.delenv("MPT_API_TOKEN", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SecretConfigurationError) as caught:
        ProductSecrets({PRODUCT: SECRET})
    message = str(caught.value)
    assert message.endswith(missing)
    assert "webhook_products=" in message
    assert TOKEN not in message


# --- ProductSecrets: platform API --------------------------------------------------------------


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
async def client(api: FakeApi) -> Any:
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http_client:
        yield http_client


def api_source(client: httpx.AsyncClient, **kwargs: Any) -> ProductSecrets:
    kwargs.setdefault("api_base_url", BASE_URL)
    kwargs.setdefault("api_token", TOKEN)
    return ProductSecrets(
        {PRODUCT: SECRET, "PRD-2222-2222": ["old", "new"]}, http_client=client, **kwargs
    )


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"product.id": PRODUCT}, id="flat"),
        pytest.param({"product.id": PRODUCT, "order.type": "Purchase"}, id="flat-more"),
        pytest.param([{"key": "product.id", "value": PRODUCT}], id="list"),
        pytest.param(
            ["junk", {"key": "type", "value": "x"}, {"key": "product.id", "value": PRODUCT}],
            id="list-more",
        ),
    ],
)
async def test_product_secrets_asks_the_platform_api(
    api: FakeApi, client: httpx.AsyncClient, criteria: object
) -> None:
    api.webhooks[WEBHOOK] = {"id": WEBHOOK, "criteria": criteria}
    source = api_source(client)
    assert source.uses_platform_api
    assert source.known_webhook_ids() is None
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    (request,) = api.requests
    assert request.method == "GET"
    assert request.url.scheme == "https"
    assert request.url.host == "api.example.test"
    assert request.url.path == f"/public/v1/notifications/webhooks/{WEBHOOK}"
    assert dict(request.url.params) == {"select": "criteria"}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in repr(source)


@pytest.mark.parametrize(
    "base_url", [BASE_URL + "/", BASE_URL + "/public/v1", BASE_URL + "/public/v1/"]
)
async def test_product_secrets_base_url_forms(
    api: FakeApi, client: httpx.AsyncClient, base_url: str
) -> None:
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-2222-2222"}}
    assert await api_source(client, api_base_url=base_url).secrets_for(WEBHOOK) == (b"old", b"new")
    assert str(api.requests[0].url) == (
        f"{BASE_URL}/public/v1/notifications/webhooks/{WEBHOOK}?select=criteria"
    )


@pytest.mark.parametrize(
    "base_url", ["api.example.test", "ftp://api.example.test", "https://", "https://h:port"]
)
async def test_product_secrets_refuses_a_base_url_that_is_not_a_url(base_url: str) -> None:
    with pytest.raises(SecretConfigurationError, match="must be an absolute URL"):
        ProductSecrets({PRODUCT: SECRET}, api_base_url=base_url, api_token=TOKEN)


async def test_product_secrets_messages_name_the_api_host_only(api: FakeApi) -> None:
    api.response = fail(httpx.ConnectError)
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        source = api_source(client, api_base_url="https://user:pa55word@api.example.test")
        with pytest.raises(SecretLookupError, match=r"at api\.example\.test to") as caught:
            await source.secrets_for(WEBHOOK)
    assert "pa55word" not in str(caught.value)


async def test_product_secrets_reads_the_api_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, api: FakeApi, client: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("MPT_API_BASE_URL", "https://env.example.test")
    monkeypatch.setenv("MPT_API_TOKEN", "env-token")
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": PRODUCT}}
    source = ProductSecrets({PRODUCT: SECRET}, http_client=client)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert api.requests[0].url.host == "env.example.test"
    assert api.requests[0].headers["authorization"] == "Bearer env-token"


@pytest.mark.parametrize(
    "webhook",
    [
        pytest.param({"id": WEBHOOK}, id="no-criteria"),
        pytest.param({"criteria": None}, id="null-criteria"),
        pytest.param({"criteria": {"order.type": "Purchase"}}, id="no-product-flat"),
        pytest.param({"criteria": [{"key": "order.type", "value": "x"}]}, id="no-product-list"),
    ],
)
async def test_product_secrets_webhook_without_product_is_unknown(
    api: FakeApi, client: httpx.AsyncClient, webhook: object, caplog: pytest.LogCaptureFixture
) -> None:
    api.webhooks[WEBHOOK] = webhook
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        assert await api_source(client).secrets_for(WEBHOOK) == ()
    assert "has no product.id in its criteria" in caplog.text


async def test_product_secrets_product_without_secret_is_unknown(
    api: FakeApi, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-9999-9999"}}
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        assert await api_source(client).secrets_for(WEBHOOK) == ()
    assert "PRD-9999-9999, which has no secret configured" in caplog.text
    assert SECRET not in caplog.text


async def test_product_secrets_404_is_unknown(api: FakeApi, client: httpx.AsyncClient) -> None:
    assert await api_source(client).secrets_for("WBH-0000-0000") == ()
    assert len(api.requests) == 1


def respond(status: int, **kwargs: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, **kwargs)


def fail(error: type[httpx.HTTPError]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("simulated", request=request)  # type: ignore[call-arg]

    return handler


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        pytest.param(respond(500, text="oops"), "answered HTTP 500", id="500"),
        pytest.param(respond(503), "answered HTTP 503", id="503"),
        pytest.param(respond(302, headers={"location": "/x"}), "answered HTTP 302", id="302"),
        pytest.param(respond(401), "HTTP 401.* MPT_API_TOKEN", id="401"),
        pytest.param(respond(403), "HTTP 403.* MPT_API_TOKEN", id="403"),
        pytest.param(respond(200, text="<html>"), "did not answer JSON", id="html"),
        pytest.param(respond(200, content=b"\xff\xfe\xfa"), "did not answer JSON", id="bytes"),
        pytest.param(respond(200, json=[WEBHOOK]), "answered a JSON array", id="array"),
        pytest.param(
            respond(200, json={"criteria": "x"}), "criteria .* JSON string", id="criteria"
        ),
        pytest.param(
            respond(200, json={"criteria": {"product.id": 7}}), "number as the product.id", id="pid"
        ),
        pytest.param(
            respond(200, json={"criteria": {"product.id": [7]}}),
            "sent an array as the product.id",
            id="pid-array",
        ),
        pytest.param(fail(httpx.ReadTimeout), "did not answer .* within 5 s", id="read-timeout"),
        pytest.param(fail(httpx.ConnectTimeout), "did not answer", id="connect-timeout"),
        pytest.param(
            fail(httpx.ConnectError), r"Could not reach .* \(ConnectError\)", id="connect"
        ),
        pytest.param(fail(httpx.RemoteProtocolError), "RemoteProtocolError", id="protocol"),
    ],
)
async def test_product_secrets_api_failures_are_lookup_errors(
    api: FakeApi,
    client: httpx.AsyncClient,
    response: Callable[[httpx.Request], httpx.Response],
    fragment: str,
) -> None:
    api.response = response
    with pytest.raises(SecretLookupError, match=fragment) as caught:
        await api_source(client).secrets_for(WEBHOOK)
    assert WEBHOOK in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_product_secrets_retries_a_transient_failure_within_its_timeout(
    api: FakeApi, client: httpx.AsyncClient
) -> None:
    # The lookup goes through receiver.platform's client: a 503 or a dropped connection is
    # retried (at most LOOKUP_ATTEMPTS times, within the timeout) before the call is refused.
    answers = iter(
        [httpx.Response(503), httpx.Response(200, json={"criteria": {"product.id": PRODUCT}})]
    )

    def flaky(request: httpx.Request) -> httpx.Response:
        return next(answers)

    api.response = flaky
    assert await api_source(client).secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert len(api.requests) == 2


async def test_product_secrets_gives_up_after_its_attempts(
    api: FakeApi, client: httpx.AsyncClient
) -> None:
    api.response = respond(503)
    with pytest.raises(SecretLookupError, match="answered HTTP 503"):
        await api_source(client).secrets_for(WEBHOOK)
    assert len(api.requests) == LOOKUP_ATTEMPTS


async def test_product_secrets_still_accepts_http_to_any_host(api: FakeApi) -> None:
    # As before it used the platform client (an API gateway inside a cluster); the client's
    # own rule, http:// to loopback only, is for the CLI and ctx.platform.
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": PRODUCT}}
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as client:
        source = api_source(client, api_base_url="http://gateway.internal:8080")
        assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert str(api.requests[0].url).startswith("http://gateway.internal:8080/public/v1/")


async def test_product_secrets_bounds_the_whole_call(api: FakeApi) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        raise AssertionError("not reached")  # pragma: no cover

    async with httpx.AsyncClient(transport=httpx.MockTransport(slow)) as client:
        source = api_source(client, timeout=0.05)
        with anyio.fail_after(2), pytest.raises(SecretLookupError, match=r"within 0\.05 s"):
            await source.secrets_for(WEBHOOK)


async def test_product_secrets_without_a_client_makes_its_own(
    monkeypatch: pytest.MonkeyPatch, api: FakeApi
) -> None:
    made: list[dict[str, Any]] = []
    real_client = httpx.AsyncClient

    class RecordingClient(real_client):  # type: ignore[misc,valid-type]
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)
            super().__init__(transport=httpx.MockTransport(api), **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", RecordingClient)
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": PRODUCT}}
    source = ProductSecrets({PRODUCT: SECRET}, api_base_url=BASE_URL, api_token=TOKEN, timeout=3)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert await source.secrets_for(WEBHOOK) == (SECRET.encode(),)
    assert len(made) == 2
    assert made[0]["verify"] is made[1]["verify"]  # the CA bundle is loaded once
    assert made[0]["timeout"] == 3
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


async def test_product_secrets_from_env(api: FakeApi, client: httpx.AsyncClient) -> None:
    environ = {
        "EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: SECRET, "PRD-2222-2222": ["a", "b"]}),
        "MPT_API_BASE_URL": BASE_URL,
        "MPT_API_TOKEN": TOKEN,
    }
    api.webhooks[WEBHOOK] = {"criteria": {"product.id": "PRD-2222-2222"}}
    source = ProductSecrets.from_env(environ=environ, http_client=client, timeout=1)
    assert source.uses_platform_api
    assert await source.secrets_for(WEBHOOK) == (b"a", b"b")
    assert api.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert isinstance(as_secret_source(source), CachedSecrets)


async def test_product_secrets_from_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({PRODUCT: SECRET}))
    monkeypatch.setenv("MPT_API_BASE_URL", BASE_URL)
    monkeypatch.setenv("MPT_API_TOKEN", TOKEN)
    assert ProductSecrets.from_env().uses_platform_api


@pytest.mark.parametrize(
    ("environ", "fragment"),
    [
        pytest.param({}, "^EXT_WEBHOOKS_SECRETS is not set.*PRD-1111-1111", id="unset"),
        pytest.param(
            {"EXT_WEBHOOKS_SECRETS": f'{{"{PRODUCT}": "{SECRET}'}, "is not valid JSON", id="json"
        ),
        pytest.param(
            {"EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: SECRET})},
            "Missing: MPT_API_BASE_URL, MPT_API_TOKEN",
            id="no-api",
        ),
        pytest.param(
            {
                "EXT_WEBHOOKS_SECRETS": json.dumps({PRODUCT: ""}),
                "MPT_API_BASE_URL": BASE_URL,
                "MPT_API_TOKEN": TOKEN,
            },
            "^EXT_WEBHOOKS_SECRETS: The secret for product 'PRD-1111-1111' is empty",
            id="empty-secret",
        ),
    ],
)
async def test_product_secrets_from_env_errors(environ: dict[str, str], fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        ProductSecrets.from_env(environ=environ)
    assert SECRET not in str(caught.value)
    assert TOKEN not in str(caught.value)
