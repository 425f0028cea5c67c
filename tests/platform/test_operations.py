"""receiver.platform._operations: the requests and the reading of answers, without a server
(a MockTransport plays the platform where the simulator cannot: odd pages, odd answers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from receiver.errors import PlatformAnswerError, PlatformError
from receiver.platform import WebhooksClient
from receiver.platform._operations import (
    ApiRequest,
    create_webhook,
    problem_error,
    query_string,
    update_webhook,
    webhook_path,
)

from .conftest import FAST, TOKEN, WEBHOOKS

BASE = "https://api.example.test"


def client(handler: Callable[[httpx.Request], httpx.Response]) -> WebhooksClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return WebhooksClient(BASE, TOKEN, retry=FAST, http_client=http)


def webhook(number: int) -> dict[str, Any]:
    return {"id": f"WBH-0000-{number:04d}", "type": "ValidatePurchaseOrderDraft"}


def test_query_strings() -> None:
    assert query_string((), {"select": "+statistics,-audit", "limit": 5, "offset": None}) == (
        "select=%2Bstatistics,-audit&limit=5"
    )
    assert query_string(["in(type,(A,B))"]) == "in(type,(A,B))"
    assert (
        query_string(["eq(url,https://x.example/a b)"]) == "eq(url,https:%2F%2Fx.example%2Fa%20b)"
    )


def test_webhook_paths() -> None:
    assert webhook_path("WBH-1") == f"{WEBHOOKS}/WBH-1"
    assert webhook_path("WBH-1", "enable") == f"{WEBHOOKS}/WBH-1/enable"
    assert webhook_path("a/../b") == f"{WEBHOOKS}/a%2F..%2Fb"
    with pytest.raises(ValueError, match="webhook id is needed"):
        webhook_path(" ")


def test_the_request_has_the_token_and_json() -> None:
    args = ApiRequest("PUT", "/p", body={"url": "https://x"}).http_args(BASE, TOKEN)

    assert args["url"] == f"{BASE}/p"
    assert args["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert args["headers"]["Content-Type"] == "application/json"
    assert json.loads(args["content"]) == {"url": "https://x"}


def test_a_create_body_is_a_create_webhook_request() -> None:
    op = create_webhook("validateChangeOrderDraft", "https://x.example/", {"product.id": "P"})
    request = next(op)

    assert (request.method, request.idempotent) == ("POST", False)
    assert set(request.body) == {"type", "url", "criteria", "secret"}
    assert request.body["type"] == "ValidateChangeOrderDraft"
    assert request.sensitive == (request.body["secret"],)
    assert request.body["secret"] not in repr(request)


def test_an_update_needs_something_to_change() -> None:
    with pytest.raises(ValueError, match="Nothing to update"):
        next(update_webhook("WBH-1"))


def test_pages_are_walked_by_the_total_even_when_the_server_caps_the_limit() -> None:
    seen: list[str] = []

    def capped(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        seen.append(request.url.params["limit"])
        data = [webhook(n) for n in range(offset, min(offset + 2, 5))]  # 2 a page, 5 in all
        meta = {"pagination": {"offset": offset, "limit": 2, "total": 5}}
        return httpx.Response(200, json={"$meta": meta, "data": data})

    with client(capped) as api:
        found = api.list(page_size=100)

    assert [hook.id for hook in found] == [f"WBH-0000-{n:04d}" for n in range(5)]
    assert seen == ["100"] * 3


def test_without_a_total_a_short_page_is_the_last() -> None:
    def pages(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        data = [webhook(n) for n in range(offset, min(offset + 3, 4))]
        return httpx.Response(200, json={"data": data})

    with client(pages) as api:
        assert len(api.list(page_size=3)) == 4


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        pytest.param(httpx.Response(200, text="<html>"), "not JSON (text/plain)", id="html"),
        pytest.param(httpx.Response(200, json=[1]), "a JSON array without a 'data'", id="array"),
        pytest.param(httpx.Response(200, json={"data": [1]}), "JSON number, not a webhook", id="n"),
        pytest.param(
            httpx.Response(200, json={"data": [{"id": 5}]}), "not a webhook (", id="invalid"
        ),
    ],
)
def test_an_answer_that_is_not_what_the_api_promises(answer: httpx.Response, fragment: str) -> None:
    with client(lambda request: answer) as api, pytest.raises(PlatformAnswerError) as caught:
        api.list()
    assert fragment in str(caught.value)
    assert "Check MPT_API_BASE_URL" in str(caught.value)


def test_a_409_without_the_id_finds_it() -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(409, json={"title": "Conflict", "detail": "Duplicate."})
        assert request.url.query == (
            b"and(eq(type,ValidatePurchaseOrderDraft),eq(object.id,PRD-1))&limit=10&offset=0"
        )
        return httpx.Response(200, json={"data": [webhook(7)]})

    with client(platform) as api, pytest.raises(PlatformError) as caught:
        api.create("ValidatePurchaseOrderDraft", "https://x.example/", {"product.id": "PRD-1"})

    assert caught.value.conflict_id == "WBH-0000-0007"
    assert "The webhook that exists is WBH-0000-0007" in str(caught.value)


def test_a_409_whose_webhook_cannot_be_found_says_how_to_find_it() -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(409, json={"detail": "Duplicate."})
        return httpx.Response(500)

    with client(platform) as api, pytest.raises(PlatformError) as caught:
        api.create("ValidatePurchaseOrderDraft", "https://x.example/", {"product.id": "PRD-1"})

    assert caught.value.conflict_id is None
    assert "find it with `receiver webhooks list`" in str(caught.value)


def test_a_problem_that_echoes_the_token_or_secret_is_cleaned() -> None:
    secret = "the-secret-being-set-0123456789"
    echo = {
        "title": "Bad Request",
        "detail": f"Token {TOKEN} may not set {secret}.",
        "errors": {"secret": [f"{secret} is weak"], "url": "not a list"},
    }
    request = ApiRequest("PUT", "/p", body={"secret": secret}, sensitive=(secret,))

    error = problem_error(request, httpx.Response(400, json=echo), hidden=(TOKEN,))

    assert TOKEN not in str(error)
    assert secret not in str(error)
    assert error.errors == {"secret": ["<hidden> is weak"], "url": ["not a list"]}
    assert error.detail == "Token <hidden> may not set <hidden>."


def test_a_problem_without_a_body_uses_the_status_phrase() -> None:
    error = problem_error(ApiRequest("GET", "/p"), httpx.Response(502, text="<html>gateway"))

    assert (error.status, error.title, error.detail) == (502, "Bad Gateway", None)
    assert str(error) == (
        "The platform API answered 502 Bad Gateway to GET /p. The platform API failed or is"
        " unavailable: try again later."
    )


def test_a_long_detail_is_cut() -> None:
    error = problem_error(ApiRequest("GET", "/p"), httpx.Response(400, json={"detail": "x" * 5000}))

    assert error.detail is not None
    assert len(error.detail) == 1000
    assert error.detail.endswith("...")
