"""receiver.platform.client end to end: every method of both clients over real HTTP against
the simulator (each exchange checked against the platform's OpenAPI), the error answers, and
the retries of transient failures."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest

from receiver.errors import (
    ConfigurationError,
    PlatformError,
    PlatformUnreachableError,
)
from receiver.platform import AsyncWebhooksClient, RetryPolicy, WebhooksClient, rql

from .conftest import FAST, PRODUCT, TOKEN, WEBHOOKS, Platform, closed_port

URL = "https://acme.example.com/ValidatePurchaseOrderDraft"
CRITERIA = {"product.id": PRODUCT}


def make(api: Any, webhook_type: str = "ValidatePurchaseOrderDraft", **kwargs: Any) -> Any:
    return api.create(webhook_type, URL, kwargs.pop("criteria", CRITERIA), **kwargs)


# -- every method ----------------------------------------------------------------------------------


def test_create_returns_the_webhook_with_a_generated_secret_once(
    api: Any, platform: Platform
) -> None:
    created = make(api, "validatePurchaseOrderDraft", description="Purchase validation")

    assert re.fullmatch(r"WBH-\d{4}-\d{4}", created.id)
    assert (created.type, created.status, created.object_type) == (
        "ValidatePurchaseOrderDraft",
        "Enabled",
        "Order",
    )
    assert (created.url, created.criteria, created.description) == (
        URL,
        CRITERIA,
        "Purchase validation",
    )
    # secrets.token_urlsafe(32): 43 URL-safe characters, and the platform holds the same one.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", created.secret)
    assert platform.sim.store.webhook(created.id).secret == created.secret  # type: ignore[union-attr]
    assert created.secret not in repr(created)
    assert api.get(created.id).secret is None  # shown once
    (post,) = platform.recorder.requests("POST")
    assert b'"status"' not in post.body  # CreateWebhookRequest has no status


def test_create_with_a_chosen_secret(api: Any, platform: Platform) -> None:
    created = make(api, secret="the-chosen-secret-the-chosen-secret")

    assert created.secret == "the-chosen-secret-the-chosen-secret"
    assert platform.sim.store.webhook(created.id).secret == created.secret  # type: ignore[union-attr]


def test_two_creates_make_two_different_secrets(api: Any) -> None:
    first = make(api)
    second = make(api, "ValidateChangeOrderDraft")

    assert first.secret != second.secret


def test_get_selects_the_statistics_and_the_three_last_calls(api: Any, platform: Platform) -> None:
    created = make(api)
    call = {
        "success": False,
        "callTime": "2025-01-02T03:04:05Z",
        "responseTime": "2025-01-02T03:04:06Z",
        "httpStatusCode": "Unauthorized",
        "reasonPhrase": "Unauthorized",
        "error": "The vendor answered HTTP 401 Unauthorized.",
    }
    platform.sim.store.update_webhook(created.id, lambda record: record.record_call(call))

    fetched = api.get(created.id)

    assert fetched.statistics.to_dict() == {
        "total": 1,
        "successes": 0,
        "failures": 1,
        "failuresSinceLastSuccess": 1,
    }
    assert fetched.last_call == fetched.last_failure
    assert fetched.last_failure.status_code == 401
    assert fetched.last_success is None
    (get,) = platform.recorder.requests("GET")
    assert get.query == "select=%2Bstatistics,%2BlastCall,%2BlastSuccess,%2BlastFailure"


def test_get_with_another_select(api: Any, platform: Platform) -> None:
    created = make(api)

    fetched = api.get(created.id, select="-audit")

    assert fetched.statistics is None
    assert fetched.audit is None


def test_list_walks_every_page(api: Any, platform: Platform) -> None:
    for number in range(12):
        make(api, criteria={"product.id": f"PRD-1111-{number:04d}"})

    found = api.list(page_size=5)

    assert len(found) == 12
    assert len({webhook.id for webhook in found}) == 12
    pages = [e.query for e in platform.recorder.requests("GET")]
    assert pages == ["limit=5&offset=0", "limit=5&offset=5", "limit=5&offset=10"]


def test_list_filters_with_rql_and_selects(api: Any, platform: Platform) -> None:
    make(api)
    change = make(api, "ValidateChangeOrderDraft")
    make(api, "ValidateChangeOrderDraft", criteria={"product.id": "PRD-2222-2222"})
    api.disable(change.id)

    found = api.list(
        rql.and_(rql.eq("object.id", PRODUCT), rql.eq("type", "ValidateChangeOrderDraft")),
        select="+statistics",
    )
    disabled = api.list(rql.eq("status", "Disabled"))

    assert [webhook.id for webhook in found] == [change.id]
    assert found[0].statistics is not None
    assert [webhook.id for webhook in disabled] == [change.id]
    assert platform.recorder.requests("GET")[0].query == (
        "and(eq(object.id,PRD-1111-1111),eq(type,ValidateChangeOrderDraft))"
        "&select=%2Bstatistics&limit=100&offset=0"
    )


def test_list_of_nothing(api: Any) -> None:
    assert api.list() == []


def test_update_changes_what_is_given_and_keeps_the_rest(api: Any, platform: Platform) -> None:
    created = make(api, description="before")

    updated = api.update(
        created.id,
        url="https://new.example.com/",
        criteria={"product.id": PRODUCT, "order.type": "Purchase"},
    )
    rotated = api.update(created.id, secret="a-new-secret-a-new-secret-a-new-secret")

    assert (updated.url, updated.description) == ("https://new.example.com/", "before")
    assert updated.criteria == {"product.id": PRODUCT, "order.type": "Purchase"}
    assert rotated.secret is None  # never shown again
    stored = platform.sim.store.webhook(created.id)
    assert stored is not None
    assert stored.secret == "a-new-secret-a-new-secret-a-new-secret"


def test_enable_and_disable(api: Any) -> None:
    created = make(api)

    api.disable(created.id)
    assert api.get(created.id).status == "Disabled"
    api.disable(created.id)  # idempotent: the same 204 (platform.md §4.6)
    api.enable(created.id)
    assert api.get(created.id).is_enabled


def test_delete(api: Any) -> None:
    created = make(api)

    api.delete(created.id)

    with pytest.raises(PlatformError) as caught:
        api.get(created.id)
    assert caught.value.status == 404


def test_request_reaches_any_endpoint(api: Any) -> None:
    created = make(api)

    body = api.request("GET", f"{WEBHOOKS}/{created.id}", params={"select": "criteria"})
    empty = api.request("POST", f"{WEBHOOKS}/{created.id}/disable")

    assert body["criteria"] == CRITERIA
    assert empty is None


# -- error answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "update", "delete", "enable", "disable"])
def test_an_unknown_id_is_a_404_that_says_what_to_do(api: Any, method: str) -> None:
    kwargs = {"url": "https://x.example.com/"} if method == "update" else {}
    with pytest.raises(PlatformError) as caught:
        getattr(api, method)("WBH-0000-0000", **kwargs)

    error = caught.value
    assert (error.status, error.title) == (404, "Not Found")
    assert "Webhook WBH-0000-0000 was not found" in str(error)
    assert "`receiver webhooks list`" in str(error)


def test_a_second_webhook_for_the_same_type_and_object_is_a_409_naming_the_first(
    api: Any,
) -> None:
    first = make(api)

    with pytest.raises(PlatformError) as caught:
        make(api)

    error = caught.value
    assert (error.status, error.conflict_id) == (409, first.id)
    assert f"update it (`receiver webhooks update {first.id}`)" in str(error)


def test_a_bad_field_is_a_400_with_its_field_errors(api: Any) -> None:
    with pytest.raises(PlatformError) as caught:
        api.create("ValidatePurchaseOrderDraft", "http://acme.example.com/", {"order.type": "x"})

    error = caught.value
    assert error.status == 400
    assert set(error.errors) == {"url", "criteria"}
    assert "http:// is allowed only to a loopback host" in error.errors["url"][0]
    assert "must include 'product.id'" in error.errors["criteria"][0]
    assert "Fix the fields it names" in str(error)


def test_a_wrong_token_is_a_401_about_the_token(platform: Platform) -> None:
    with (
        WebhooksClient(platform.url, "not-the-token", retry=FAST) as client,
        pytest.raises(PlatformError) as caught,
    ):
        client.list()

    assert caught.value.status == 401
    assert "MPT_API_TOKEN or --api-token" in str(caught.value)
    assert "not-the-token" not in str(caught.value)


def test_a_403_is_about_the_tokens_account_or_scopes() -> None:
    # The simulator has one all-powerful token; the platform answers 403 to a token of another
    # account or without the scopes (platform.md §4.1).
    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, json={"title": "Forbidden", "status": 403, "detail": "Access denied."}
        )

    with (
        httpx.Client(transport=httpx.MockTransport(forbidden)) as http,
        WebhooksClient("https://api.example.test", TOKEN, http_client=http) as client,
        pytest.raises(PlatformError) as caught,
    ):
        client.delete("WBH-1111-2222")

    assert caught.value.status == 403
    assert "account may not own this object, or the token lacks the scopes" in str(caught.value)


# -- transient failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_transient_failure_of_a_read_is_retried(
    api: Any, platform: Platform, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    make(api)
    platform.recorder.fail(status, times=2)

    with caplog.at_level(logging.WARNING, logger="receiver.platform"):
        found = api.list()

    assert len(found) == 1
    assert [e.status for e in platform.recorder.requests("GET")] == [status, status, 200]
    retries = [r.getMessage() for r in caplog.records if r.name == "receiver.platform"]
    assert len(retries) == 2
    assert retries[0].startswith(f"GET {WEBHOOKS} answered {status}; retrying in ")
    assert retries[1].endswith("(attempt 3 of 3)")


def test_retries_are_bounded_in_count(api: Any, platform: Platform) -> None:
    platform.recorder.fail(503, times=10)

    with pytest.raises(PlatformError) as caught:
        api.list()

    assert caught.value.status == 503
    assert "try again later" in str(caught.value)
    assert len(platform.recorder.requests("GET")) == FAST.attempts


def test_a_429_is_retried_after_its_retry_after(
    api: Any, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    created = make(api)
    platform.recorder.fail(429, headers={"Retry-After": "1"})

    with caplog.at_level(logging.WARNING, logger="receiver.platform"):
        assert api.get(created.id).id == created.id

    assert "answered 429; retrying in 1.00 s (attempt 2 of 3)" in caplog.text


def test_a_retry_after_beyond_the_time_budget_is_not_waited_for(platform: Platform) -> None:
    platform.recorder.fail(429, times=5, headers={"Retry-After": "3600"})

    with (
        platform.client(retry=RetryPolicy(attempts=5, total=30)) as client,
        pytest.raises(PlatformError) as caught,
    ):
        client.list()

    assert caught.value.status == 429
    assert "wait a minute and try again" in str(caught.value)
    assert len(platform.recorder.exchanges) == 1


def test_a_create_is_never_retried(api: Any, platform: Platform) -> None:
    platform.recorder.fail(503)

    with pytest.raises(PlatformError) as caught:
        make(api)

    assert caught.value.status == 503
    assert len(platform.recorder.requests("POST")) == 1
    assert api.list() == []


@pytest.mark.parametrize("method", ["update", "delete", "enable", "disable"])
def test_idempotent_writes_are_retried(api: Any, platform: Platform, method: str) -> None:
    created = make(api)
    platform.recorder.fail(502)
    kwargs = {"description": "changed"} if method == "update" else {}

    getattr(api, method)(created.id, **kwargs)

    writes = [e for e in platform.recorder.exchanges if e.method in ("PUT", "DELETE", "POST")][1:]
    assert [e.status for e in writes] == [502, 200 if method == "update" else 204]


def test_a_timeout_is_retried_then_reported(platform: Platform) -> None:
    platform.recorder.delay(1.0, times=3)

    with (
        platform.client(timeout=0.2) as client,
        pytest.raises(PlatformUnreachableError) as caught,
    ):
        client.list()

    error = caught.value
    assert (error.status, error.timed_out, error.attempts) == (None, True, 3)
    assert "did not answer in time (ReadTimeout, 3 attempts)" in str(error)


def test_a_refused_connection_is_retried_then_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        WebhooksClient(f"http://127.0.0.1:{closed_port()}", TOKEN, retry=FAST) as client,
        caplog.at_level(logging.WARNING, logger="receiver.platform"),
        pytest.raises(PlatformUnreachableError) as caught,
    ):
        client.get("WBH-1111-2222")

    assert caught.value.reason == "ConnectError"
    assert "could not be reached (ConnectError, 3 attempts)" in str(caught.value)
    assert "Check MPT_API_BASE_URL (--api-url)" in str(caught.value)
    assert caplog.text.count("failed (ConnectError); retrying") == 2


@pytest.mark.anyio
async def test_the_async_client_reuses_one_pool_and_closes_it(platform: Platform) -> None:
    client = AsyncWebhooksClient(platform.url, TOKEN, retry=FAST)
    await client.list()
    pool = client._http
    await client.list()

    assert client._http is pool
    await client.aclose()
    assert pool is not None
    assert pool.is_closed


# -- nothing secret leaks --------------------------------------------------------------------------


def test_no_token_or_secret_in_logs_or_errors(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    platform.recorder.fail(503, times=2)
    with caplog.at_level(logging.DEBUG), platform.client() as client:
        created = make(client) if False else None
        client.list()
        created = make(client)
        try:
            make(client)
        except PlatformError as exc:
            text = str(exc) + repr(exc)
    assert TOKEN not in caplog.text
    assert created.secret not in caplog.text
    assert TOKEN not in text
    assert created.secret not in text
    assert created.secret not in repr(created)


# -- configuration ---------------------------------------------------------------------------------


def test_the_environment_gives_the_address_and_token(
    monkeypatch: pytest.MonkeyPatch, platform: Platform
) -> None:
    monkeypatch.setenv("MPT_API_BASE_URL", platform.url + "/public/v1/")
    monkeypatch.setenv("MPT_API_TOKEN", TOKEN)

    with WebhooksClient(retry=FAST) as client:
        assert client.list() == []
    assert AsyncWebhooksClient.from_env() is not None


def test_without_the_environment_there_is_no_context_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MPT_API_BASE_URL", raising=False)
    monkeypatch.delenv("MPT_API_TOKEN", raising=False)

    assert AsyncWebhooksClient.from_env() is None
    assert AsyncWebhooksClient.from_env({"MPT_API_TOKEN": TOKEN}) is None  # both are needed
    with pytest.raises(ConfigurationError, match="Missing: MPT_API_BASE_URL"):
        WebhooksClient()
