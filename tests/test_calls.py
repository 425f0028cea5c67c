"""calls.py beyond the call itself: the verify-only route, and the request id of every answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from receiver import Order, Receiver
from tests.conftest import OTHER_SECRET, SECRET, WEBHOOK_ID, auth, post, pyjwt_token

pytestmark = pytest.mark.anyio


def make_app(ran: list[str]) -> Receiver:
    app = Receiver(secrets={WEBHOOK_ID: [SECRET, OTHER_SECRET]})

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        ran.append(order.id)
        return order

    return app


async def verify(app: Receiver, method: str = "POST", token: str | None = None) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://vendor.example"
    ) as client:
        headers = auth(token) if token else {}
        return await client.request(method, "/_receiver/verify", headers=headers)


async def test_the_verify_route_accepts_what_a_call_accepts_and_runs_nothing() -> None:
    ran: list[str] = []
    app = make_app(ran)
    for secret in (SECRET, OTHER_SECRET):  # old and new, as during a rotation
        response = await verify(app, token=pyjwt_token(secret=secret))
        assert response.status_code == 204
        assert response.content == b""
    assert ran == []
    assert app.statistics.all() == []


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(None, "missing_token", id="none"),
        pytest.param(
            pyjwt_token(secret="a-new-secret-not-deployed-yet-0001"), "bad_signature", id="new"
        ),
        pytest.param(pyjwt_token(webhook_id="WBH-0000-0000"), "unknown_webhook", id="unknown"),
    ],
)
async def test_the_verify_route_refuses_what_a_call_refuses(token: str | None, reason: str) -> None:
    app = make_app([])
    response = await verify(app, token=token)
    assert response.status_code == 401
    assert response.json()["id"] == reason
    assert app.statistics.all() == []


async def test_the_verify_route_is_post_only() -> None:
    response = await verify(make_app([]), method="GET", token=pyjwt_token())
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"X-Request-Id": "req-123"}, "req-123", id="kept"),
        pytest.param(
            {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            "4bf92f3577b34da6a3ce929d0e0e4736",
            id="from-traceparent",
        ),
        pytest.param({"X-Request-Id": "a b\\nforged"}, None, id="unsafe-replaced"),
        pytest.param({"X-Request-Id": "x" * 129}, None, id="too-long-replaced"),
        pytest.param({}, None, id="made"),
    ],
)
async def test_every_answer_carries_the_request_id(
    headers: dict[str, str],
    expected: str | None,
    purchase_order: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="receiver.calls")
    seen: list[str] = []
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order, ctx: Any) -> Order:
        seen.append(ctx.request_id)
        return order

    accepted = await post(app, purchase_order, headers=headers)
    refused = await post(app, purchase_order, headers=headers, token=pyjwt_token(OTHER_SECRET))
    request_id = accepted.headers["x-request-id"]
    if expected is not None:
        assert request_id == expected
    else:
        assert len(request_id) == 32
        assert request_id != refused.headers["x-request-id"]  # each call its own
    assert seen == [request_id]
    (record,) = [r for r in caplog.records if r.status == 200]  # type: ignore[attr-defined]
    assert record.request_id == request_id  # type: ignore[attr-defined]
    assert f"request_id={request_id}" in record.getMessage()
    (stats,) = app.statistics.all()
    assert stats.last_success is not None
    assert stats.last_success["requestId"] == request_id
