"""Firing like the platform: /validate against a live Receiver in-process (httpx ASGITransport).

Each test registers webhooks through the API, sends an order through /validate and checks what
the caller got, what the store holds, and the webhook's statistics and call objects.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from receiver import Order, Receiver, tokens
from receiver.models import Webhook

from .conftest import (
    PRODUCT,
    SECRET,
    VALIDATE,
    VENDOR_URL,
    AnyWebhook,
    Env,
    purchase_order,
    simulated,
)
from .schema import check_schema

pytestmark = pytest.mark.anyio

SELECT = {"select": "+statistics,+lastCall,+lastSuccess,+lastFailure"}


def _app(handler: Any) -> Starlette:
    """A vendor that is not a Receiver: records what it got, answers what ``handler`` says."""
    received: list[Request] = []

    async def endpoint(request: Request) -> Response:
        received.append(request)
        request.state.body = await request.body()
        result: Response = await handler(request)
        return result

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])
    app.state.received = received
    return app


# -- the answer is applied ------------------------------------------------------------------


async def test_an_accepted_order_comes_back_200_and_is_stored(env: Env) -> None:
    webhook = await env.create()
    order = purchase_order(error={"id": "OLD", "message": "stale"})

    response = await env.validate(order)

    assert response.status_code == 200
    assert response.headers["x-simulator-outcome"] == "accepted"
    assert response.headers["x-simulator-webhook-id"] == webhook["id"]
    body = response.json()
    assert body["error"] is None  # the receiver cleared the stale error; the answer applied it
    assert body["someFutureField"] == order["someFutureField"]
    assert env.sim.store.get_object("Order", order["id"]) == body
    stored = (await env.api.get(f"/public/v1/commerce/orders/{order['id']}")).json()
    assert stored == body


async def test_a_refusal_at_order_level(env: Env) -> None:
    await env.create()

    response = await env.validate(purchase_order("refuse-order"))

    assert response.status_code == 200
    assert response.headers["x-simulator-outcome"] == "refused"
    assert response.json()["error"] == {"id": "VND003", "message": "No."}
    entry = env.sim.store.history()[0]
    assert entry["changes"] == [
        {"path": "error", "before": None, "after": {"id": "VND003", "message": "No."}}
    ]


async def test_a_refusal_at_a_parameter_merges_its_constraints(env: Env) -> None:
    await env.create()

    response = await env.validate(purchase_order("refuse-parameter"))

    parameter = response.json()["parameters"]["ordering"][0]
    assert response.headers["x-simulator-outcome"] == "refused"
    assert parameter["error"] == {"id": "VND001", "message": "Company name is required."}
    assert parameter["constraints"] == {"hidden": False, "required": True, "readonly": False}
    paths = [change["path"] for change in env.sim.store.history()[0]["changes"]]
    assert paths == [
        "parameters.ordering[companyName].error",
        "parameters.ordering[companyName].constraints.hidden",
        "parameters.ordering[companyName].constraints.required",
    ]


async def test_a_reprice_changes_only_the_line_price(env: Env) -> None:
    await env.create()

    response = await env.validate(purchase_order("reprice add-line"))

    lines = response.json()["lines"]
    assert lines[0]["price"] == {"currency": "USD", "unitPP": 93.17}
    assert lines[0]["item"]["name"] == "Acme Pro (1 year)"
    assert lines[1] == {
        "id": "ALI-3156-8071-4437-0002",
        "item": {"id": "ITM-1111-1111-0002"},
        "quantity": 1,
    }
    paths = [change["path"] for change in env.sim.store.history()[0]["changes"]]
    assert paths == [
        "lines[ALI-3156-8071-4437-0001].price.unitPP",
        "lines[ALI-3156-8071-4437-0002]",
    ]


async def test_lines_without_ids_get_ids_before_the_call(env: Env) -> None:
    await env.create()
    order = purchase_order("reprice")
    del order["lines"][0]["id"]

    response = await env.validate(order)

    line = response.json()["lines"][0]
    assert line["id"] == "ALI-3156-8071-4437-0001"
    assert line["price"]["unitPP"] == 93.17


async def test_an_order_without_id_gets_one(env: Env) -> None:
    await env.create()
    order = purchase_order()
    del order["id"]

    response = await env.validate(order)

    order_id = response.json()["id"]
    assert order_id.startswith("ORD-")
    assert len(order_id) == 18
    assert env.sim.store.get_object("Order", order_id) is not None


async def test_revalidating_a_stored_order(env: Env) -> None:
    await env.create()
    order = purchase_order("refuse-order")
    await env.validate(order)
    path = f"/public/v1/commerce/orders/{order['id']}/validate"

    again = await env.api.post(path)
    replaced = await env.api.post(path, json=purchase_order())
    missing = await env.api.post("/public/v1/commerce/orders/ORD-0000-0000-0000/validate")
    mismatch = await env.api.post(path, json=purchase_order(id="ORD-1-2-3"))

    assert again.status_code == 200
    assert again.json()["error"]["id"] == "VND003"
    assert "error" not in replaced.json()  # the body replaced the stored order and its error
    assert missing.status_code == 404
    assert "Validate it first" in missing.json()["detail"]
    assert mismatch.status_code == 400
    assert len(env.sim.store.history()) == 3


async def test_get_of_an_unknown_object_is_404(env: Env) -> None:
    response = await env.api.get("/public/v1/commerce/orders/ORD-0000-0000-0000")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param([1], "JSON object", id="array"),
        pytest.param({"id": 5}, "non-empty string", id="numeric-id"),
        pytest.param({"id": ""}, "non-empty string", id="empty-id"),
        pytest.param(b'{"id": "ORD-1", "x": NaN}', "not valid JSON", id="nan"),
    ],
)
async def test_validate_refuses_unusable_bodies(env: Env, body: Any, fragment: str) -> None:
    if isinstance(body, bytes):
        response = await env.api.post(
            VALIDATE, content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = await env.api.post(VALIDATE, json=body)

    assert response.status_code == 400
    assert fragment in response.json()["detail"]


# -- which webhook ------------------------------------------------------------------------------


async def test_no_matching_webhook_is_200_unchanged_and_nothing_is_called(env: Env) -> None:
    await env.create(criteria={"product.id": "PRD-9999-9999"})
    order = purchase_order("refuse-order")

    response = await env.validate(order)

    assert response.status_code == 200
    assert response.headers["x-simulator-outcome"] == "no_webhook"
    assert "x-simulator-webhook-id" not in response.headers
    assert response.json() == order
    assert env.sim.store.history()[0]["webhookId"] is None


async def test_disabled_webhooks_are_never_called(env: Env) -> None:
    webhook = await env.create(status="Disabled")

    response = await env.validate(purchase_order("refuse-order"))

    assert response.headers["x-simulator-outcome"] == "no_webhook"
    assert (await env.get(webhook["id"]))["statistics"]["total"] == 0


async def test_only_the_first_matching_webhook_by_creation_order_is_called() -> None:
    # One webhook per (account, type, object): only ValidateAccount webhooks, whose product
    # anchor an account cannot carry, can both match one object.
    vendor = Receiver(secrets=AnyWebhook())

    @vendor.validate_account
    async def account(obj: Any) -> Any:
        return obj

    async with simulated(vendor) as env:
        first = await env.create(type="ValidateAccount", criteria={"product.id": "PRD-2"})
        second = await env.create(type="ValidateAccount", criteria={"product.id": "PRD-1"})
        response = await env.api.post(
            "/public/v1/accounts/accounts/validate", json={"id": "ACC-1111-2222"}
        )
        untouched = (await env.get(second["id"]))["statistics"]["total"]

    assert response.headers["x-simulator-webhook-id"] == first["id"]
    assert untouched == 0


async def test_the_order_type_and_status_choose_the_webhook_type(env: Env) -> None:
    purchase = await env.create()
    change = await env.create(type="ValidateChangeOrderDraft")
    querying = await env.create(type="ValidatePurchaseOrderQuerying")

    as_change = await env.validate(purchase_order(type="Change"))
    as_querying = await env.validate(purchase_order(status="querying"))
    as_purchase = await env.validate(purchase_order())
    as_termination = await env.validate(purchase_order(type="Termination"))

    assert as_change.headers["x-simulator-webhook-id"] == change["id"]
    assert as_change.json()["error"]["id"] == "VND002"
    assert as_querying.headers["x-simulator-webhook-id"] == querying["id"]
    assert as_purchase.headers["x-simulator-webhook-id"] == purchase["id"]
    assert as_termination.headers["x-simulator-outcome"] == "no_webhook"


async def test_select_order_lines_is_a_fallback_for_purchase_orders() -> None:
    vendor = Receiver(secrets=AnyWebhook(), webhooks={})

    @vendor.select_order_lines
    async def lines(order: Order) -> Order:
        return order.set_error("SEL001", "lines")

    async with simulated(vendor) as env:
        select = await env.create(type="SelectOrderLines")
        fallback = await env.validate(purchase_order())
        purchase = await env.create()  # created later, yet it wins
        specific = await env.validate(purchase_order())
        forced = await env.validate(purchase_order(), webhookType="selectOrderLines")
        change = await env.validate(purchase_order(type="Change"))
        unknown = await env.validate(purchase_order(), webhookType="Nope")

    assert fallback.headers["x-simulator-webhook-id"] == select["id"]
    assert specific.headers["x-simulator-webhook-id"] == purchase["id"]
    assert forced.headers["x-simulator-webhook-id"] == select["id"]
    assert change.headers["x-simulator-outcome"] == "no_webhook"
    assert unknown.status_code == 400


@pytest.mark.parametrize(
    ("criteria", "matches"),
    [
        pytest.param({"status": "Querying,Draft"}, True, id="status-or"),
        pytest.param({"status": "Querying"}, False, id="status-other"),
        pytest.param({"status": "draft"}, True, id="case-insensitive"),
        pytest.param({"lines.item.id": "ITM-1111-1111-0001"}, True, id="through-a-list"),
        pytest.param({"lines.item.id": "ITM-0"}, False, id="list-no-match"),
        pytest.param({"agreement.id": "AGR-1"}, False, id="absent"),
        pytest.param({"someFutureField.kept": "x"}, True, id="list-of-scalars"),
        pytest.param({"product": "x"}, False, id="object-value"),
    ],
)
async def test_every_criterion_must_match(
    env: Env, criteria: dict[str, str], matches: bool
) -> None:
    await env.create(criteria={"product.id": PRODUCT, **criteria})

    response = await env.validate(purchase_order())

    assert (response.headers["x-simulator-outcome"] != "no_webhook") is matches


async def test_other_kinds_reach_their_webhooks() -> None:
    vendor = Receiver(secrets=AnyWebhook())

    @vendor.validate_account
    async def account(obj: Any) -> Any:
        return obj.set_error("ACC001", "no")

    @vendor.validate_enrollment_querying
    async def enrollment(obj: Any) -> Any:
        return obj.set_error("ENR001", "no")

    @vendor.validate_request
    async def request(obj: dict[str, Any]) -> dict[str, Any]:
        obj["parameters"][0]["errorMessage"] = "bad"
        return obj

    async with simulated(vendor) as env:
        await env.create(type="ValidateAccount")
        await env.create(type="ValidateEnrollmentQuerying", criteria={"program.id": "PRG-1"})
        await env.create(type="ValidateRequest")
        account_response = await env.api.post(
            "/public/v1/accounts/accounts/validate", json={"name": "Contoso"}
        )
        enrollment_response = await env.api.post(
            "/public/v1/program/enrollments/validate",
            json={"type": "New", "status": "Querying", "program": {"id": "PRG-1"}},
        )
        request_response = await env.api.post(
            "/public/v1/commerce/requests/validate",
            json={"product": {"id": PRODUCT}, "parameters": [{"id": "PAR-1", "value": "x"}]},
        )
        draft_enrollment = await env.api.post(
            "/public/v1/program/enrollments/validate",
            json={"type": "New", "status": "Processing", "program": {"id": "PRG-1"}},
        )

    assert account_response.json()["id"].startswith("ACC-")
    assert account_response.json()["error"]["id"] == "ACC001"
    assert enrollment_response.json()["id"].startswith("ENR-")
    assert enrollment_response.json()["error"]["id"] == "ENR001"
    assert request_response.json()["parameters"][0]["errorMessage"] == "bad"
    assert request_response.headers["x-simulator-outcome"] == "refused"
    assert draft_enrollment.headers["x-simulator-outcome"] == "no_webhook"


# -- the call itself ----------------------------------------------------------------------------


async def test_the_call_is_signed_like_the_platform() -> None:
    seen: list[tuple[dict[str, str], bytes]] = []

    async def answer(request: Request) -> Response:
        seen.append((dict(request.headers), request.state.body))
        return Response(request.state.body, media_type="application/json")

    async with simulated(_app(answer)) as env:
        webhook = await env.create(url="https://vendor.example:8443/api/v1/orders/validate")
        order = purchase_order()
        await env.validate(order)
        await env.validate(order)

    headers, body = seen[0]
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == order
    scheme, token = headers["authorization"].split(" ")
    claims = tokens.verify(token, [SECRET.encode()])
    assert scheme == "Bearer"
    assert claims["webhook_id"] == webhook["id"]
    assert claims["aud"] == "vendor.example"
    assert claims["iss"] == "mpt"
    assert claims["exp"] - claims["iat"] == 300
    assert seen[1][0]["authorization"] != "x"  # a fresh token each call (may equal within 1 s)


async def test_statistics_and_call_objects_follow_each_call(env: Env) -> None:
    webhook = await env.create()
    await env.validate(purchase_order())
    await env.api.put(
        f"/public/v1/notifications/webhooks/{webhook['id']}",
        json={"secret": "a-secret-the-vendor-does-not-know-at-all"},
    )
    refused = await env.validate(purchase_order())

    wire = await env.get(webhook["id"])
    assert refused.status_code == 400
    assert wire["statistics"] == {
        "total": 2,
        "successes": 1,
        "failures": 1,
        "failuresSinceLastSuccess": 1,
    }
    success, failure = wire["lastSuccess"], wire["lastFailure"]
    assert wire["lastCall"] == failure
    assert (success["success"], success["httpStatusCode"], success["reasonPhrase"]) == (
        True,
        "OK",
        "OK",
    )
    assert (failure["success"], failure["httpStatusCode"]) == (False, "Unauthorized")
    assert json.loads(failure["response"])["id"] == "bad_signature"
    assert failure["error"] == "The vendor answered HTTP 401 Unauthorized."
    assert failure["callTime"] <= failure["responseTime"]
    for call in (success, failure):
        assert "Authorization: Bearer [redacted]" in call["headers"]
        assert "Content-Type: application/json" in call["headers"]
        assert "eyJ" not in call["headers"]  # no token
        check_schema(call, "WebhookCall")
    Webhook.from_dict(wire)  # the receiver's own model reads it back


async def test_a_non_2xx_answer_is_passed_through_as_400() -> None:
    async def fail(request: Request) -> Response:
        return PlainTextResponse("vendor exploded <b>", status_code=503)

    async with simulated(_app(fail)) as env:
        webhook = await env.create()
        order = purchase_order()
        response = await env.validate(order)
        wire = await env.get(webhook["id"])
        stored = env.sim.store.get_object("Order", order["id"])

    assert response.status_code == 400
    assert response.content == b"vendor exploded <b>"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-simulator-outcome"] == "vendor_error"
    assert wire["lastCall"]["httpStatusCode"] == "ServiceUnavailable"
    assert stored == order


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/html; charset=utf-8", id="html"),
        pytest.param("application/xhtml+xml", id="xhtml"),
        pytest.param("image/svg+xml", id="svg"),
        pytest.param("text/xml", id="xml"),
        pytest.param("application/octet-stream", id="octet-stream"),
        pytest.param(None, id="none"),
    ],
)
async def test_a_vendor_page_is_passed_back_as_text_not_as_a_page(content_type: str | None) -> None:
    page = b"<html><script>fetch('/public/v1/notifications/webhooks')</script></html>"

    async def fail(request: Request) -> Response:
        headers = {} if content_type is None else {"Content-Type": content_type}
        return Response(page, status_code=502, headers=headers)

    async with simulated(_app(fail)) as env:
        await env.create()
        response = await env.validate(purchase_order())

    assert response.status_code == 400
    assert response.content == page  # the vendor's answer, unchanged, as data
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-simulator-vendor-content-type"] == (content_type or "(none)")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/problem+json", "text/json; charset=utf-8"],
)
async def test_a_vendor_json_error_keeps_its_json_type(content_type: str) -> None:
    async def fail(request: Request) -> Response:
        return Response(b'{"id": "nope"}', status_code=422, media_type=content_type)

    async with simulated(_app(fail)) as env:
        await env.create()
        response = await env.validate(purchase_order())

    assert response.status_code == 400
    assert response.headers["content-type"] == content_type
    assert response.json() == {"id": "nope"}
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_receiver_failure_is_passed_through_as_400() -> None:
    vendor = Receiver(secrets=AnyWebhook())

    @vendor.validate_purchase_order_draft
    async def broken(order: Order) -> Order:
        raise RuntimeError("bug")

    async with simulated(vendor) as env:
        await env.create()
        response = await env.validate(purchase_order())

    assert response.status_code == 400
    assert response.json()["id"] == "handler_failed"


async def test_a_timeout_is_200_unchanged_and_a_gateway_timeout() -> None:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(5)
        return Response(request.state.body)  # pragma: no cover - cancelled

    async with simulated(_app(slow), call_timeout=0.1) as env:
        webhook = await env.create()
        order = purchase_order()
        response = await env.validate(order)
        wire = await env.get(webhook["id"])

    assert response.status_code == 200
    assert response.json() == order
    assert response.headers["x-simulator-outcome"] == "timeout"
    call = wire["lastFailure"]
    assert (call["httpStatusCode"], call["reasonPhrase"]) == ("GatewayTimeout", "Gateway Timeout")
    assert call["responseTime"] is None
    assert call["response"] is None
    assert call["error"] == "No answer within 0.1 s (call timeout)."
    assert wire["statistics"]["failures"] == 1


async def test_an_unreachable_vendor_is_200_unchanged_and_service_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    async with simulated(http_client=client) as env:
        webhook = await env.create()
        response = await env.validate(purchase_order())
        wire = await env.get(webhook["id"])
    await client.aclose()

    assert response.status_code == 200
    assert response.headers["x-simulator-outcome"] == "unreachable"
    call = wire["lastCall"]
    assert call["httpStatusCode"] == "ServiceUnavailable"
    assert call["error"] == "Could not reach vendor.example: ConnectError: connection refused"


async def test_a_vendor_app_that_raises_counts_as_unreachable() -> None:
    async def crash(request: Request) -> Response:
        raise ValueError("boom")

    async with simulated(_app(crash)) as env:
        await env.create()
        response = await env.validate(purchase_order())
        error = env.sim.store.history()[0]["error"]

    assert response.headers["x-simulator-outcome"] == "unreachable"
    assert "ValueError: boom" in error


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(b"<html>oops</html>", "not JSON", id="html"),
        pytest.param(b"[1, 2]", "not a JSON object", id="array"),
        pytest.param(b"", "not a JSON object", id="empty"),
        pytest.param(b'{"id": "ORD-3156-8071-4437", "x": Infinity}', "not JSON", id="inf"),
    ],
)
async def test_an_unparseable_2xx_is_retried_twice(body: bytes, fragment: str) -> None:
    async def garbage(request: Request) -> Response:
        return Response(body, media_type="application/json")

    app = _app(garbage)
    async with simulated(app, retry_delay=0.01) as env:
        webhook = await env.create()
        order = purchase_order()
        response = await env.validate(order)
        wire = await env.get(webhook["id"])
        attempts = env.sim.store.history()[0]["attempts"]

    assert len(app.state.received) == 3
    assert response.status_code == 200
    assert response.json() == order
    assert response.headers["x-simulator-outcome"] == "unparseable"
    assert wire["statistics"] == {
        "total": 3,
        "successes": 0,
        "failures": 3,
        "failuresSinceLastSuccess": 3,
    }
    assert fragment in wire["lastCall"]["error"]
    assert "retrying" not in wire["lastCall"]["error"]
    assert attempts == 3


async def test_a_retry_that_succeeds_applies_the_answer() -> None:
    async def flaky(request: Request) -> Response:
        if len(request.app.state.received) < 2:
            return Response(b"not json", media_type="application/json")
        order = json.loads(request.state.body)
        order["error"] = {"id": "LATE", "message": "second time lucky"}
        return JSONResponse(order)

    async with simulated(_app(flaky), retry_delay=0.01) as env:
        webhook = await env.create()
        response = await env.validate(purchase_order())
        wire = await env.get(webhook["id"])

    assert response.json()["error"]["id"] == "LATE"
    assert wire["statistics"]["total"] == 2
    assert "attempt 1 of 3; retrying" in wire["lastFailure"]["error"]
    assert wire["lastCall"]["success"] is True


async def test_an_answer_for_another_object_is_not_applied() -> None:
    async def other(request: Request) -> Response:
        return JSONResponse({"id": "ORD-0000-0000-0000", "error": {"message": "x"}})

    app = _app(other)
    async with simulated(app) as env:
        await env.create()
        order = purchase_order()
        response = await env.validate(order)

    assert len(app.state.received) == 1
    assert response.json() == order
    assert response.headers["x-simulator-outcome"] == "wrong_object"


async def test_an_oversized_answer_is_unparseable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("receiver.simulator.firing.MAX_ANSWER_SIZE", 64)

    async def big(request: Request) -> Response:
        return Response(b"{" + b" " * 200 + b"}", media_type="application/json")

    async with simulated(_app(big), retry_delay=0) as env:
        await env.create()
        response = await env.validate(purchase_order())
        error = env.sim.store.history()[0]["error"]

    assert response.headers["x-simulator-outcome"] == "unparseable"
    assert "larger than 64 bytes" in error


async def test_the_simulator_makes_its_own_client_when_none_is_given() -> None:
    # No http_client: the simulator's own client connects for real (to a closed loopback port).
    sim_options: dict[str, Any] = {"http_client": None, "call_timeout": 2}
    async with simulated(**sim_options) as env:
        await env.create(url="https://127.0.0.1:1/")
        response = await env.validate(purchase_order())
        client = env.sim.firer._own_client

    assert response.headers["x-simulator-outcome"] == "unreachable"
    assert client is not None
    assert client.is_closed


async def test_vendor_url_is_called_exactly() -> None:
    paths: list[str] = []

    async def record(request: Request) -> Response:
        paths.append(request.url.path + "?" + request.url.query)
        return Response(request.state.body, media_type="application/json")

    async with simulated(_app(record)) as env:
        await env.create(url=VENDOR_URL + "api/v1/orders/validate?x=1")
        await env.validate(purchase_order())

    assert paths == ["/api/v1/orders/validate?x=1"]
