"""The receiving path through HTTP: routing, handlers, answers, failure policy, limits."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from receiver import CallContext, Order, Receiver
from receiver.errors import (
    ConfigurationError,
    DuplicateHandlerError,
    RegistrationClosedError,
    UnknownWebhookTypeError,
)
from tests.conftest import SECRET, WEBHOOK_ID, post, pyjwt_token

pytestmark = pytest.mark.anyio


def make_app(**options: Any) -> Receiver:
    options.setdefault("secrets", {WEBHOOK_ID: SECRET})
    return Receiver(**options)


def without_errors(order: dict[str, Any]) -> dict[str, Any]:
    expected = copy.deepcopy(order)
    expected["error"] = None
    for parameter in expected["parameters"]["ordering"]:
        if "error" in parameter:
            parameter["error"] = None
    return expected


# -- registration ----------------------------------------------------------------------------


def test_decorators_return_the_function_unchanged() -> None:
    app = make_app()

    def check(order: Order) -> Order:
        return order

    assert app.validate_purchase_order_draft(check) is check
    assert app.on("validateChangeOrderDraft")(check) is check
    assert set(app.handlers) == {"ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft"}


@pytest.mark.parametrize(
    "decorator",
    [
        "validate_purchase_order_draft",
        "validate_purchase_order_querying",
        "validate_change_order_draft",
        "validate_terminate_order",
        "validate_configuration_order_draft",
        "select_order_lines",
        "validate_request",
        "validate_account",
        "validate_enrollment_draft",
        "validate_enrollment_querying",
        "validate_re_enrollment",
        "validate_re_enrollment_querying",
        "validate_answer",
    ],
)
def test_one_named_decorator_per_known_type(decorator: str) -> None:
    app = make_app()
    getattr(app, decorator)(lambda obj: obj)
    (registered,) = app.handlers
    assert registered.snake_name == decorator


def test_unknown_type_suggests_the_closest_name() -> None:
    app = make_app()
    with pytest.raises(UnknownWebhookTypeError, match="Did you mean 'ValidateChangeOrderDraft'"):
        app.add_handler("ValidateChangeOrderDratf", lambda order: order)


def test_unknown_type_can_be_allowed_explicitly() -> None:
    app = make_app()
    app.add_handler("ValidateSomethingNew", lambda obj: obj, allow_unknown=True)
    assert "ValidateSomethingNew" in app.handlers


def test_duplicate_registration_names_both_handlers() -> None:
    app = make_app()

    @app.validate_purchase_order_draft
    def first(order: Order) -> Order:
        return order

    with pytest.raises(DuplicateHandlerError, match=r"first.*second"):

        @app.on("validatePurchaseOrderDraft")
        def second(order: Order) -> Order:
            return order


async def test_registration_after_the_first_call_is_refused(
    purchase_order: dict[str, Any],
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    await post(app, purchase_order)
    with pytest.raises(RegistrationClosedError, match="import time"):
        app.validate_change_order_draft(lambda order: order)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"failure_policy": "ignore"}, "Unknown failure_policy", id="policy"),
        pytest.param({"deadline": 0}, "deadline must be positive", id="deadline"),
        pytest.param({"max_body_size": 0}, "max_body_size", id="body-size"),
        pytest.param({"admin_token": "short"}, "at least 16", id="admin-token"),
        pytest.param({"webhooks": {"WBH-1": "ValidatePurchase"}}, "Did you mean", id="webhooks"),
        pytest.param({"reject_message": ""}, "reject_message", id="reject-message"),
        pytest.param({"secrets": 42}, "secret", id="secrets"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("positive", "a positive")):
        make_app(**options)


def test_handler_without_arguments_is_refused() -> None:
    app = make_app()
    with pytest.raises(ConfigurationError, match="must take the object"):
        app.add_handler("ValidatePurchaseOrderDraft", lambda: None)


def test_handler_needing_three_arguments_is_refused() -> None:
    app = make_app()
    with pytest.raises(ConfigurationError, match="needs 3 arguments"):
        app.add_handler("ValidatePurchaseOrderDraft", lambda order, ctx, extra: order)


def test_handler_with_defaults_and_varargs_is_accepted() -> None:
    app = make_app()
    app.add_handler("ValidatePurchaseOrderDraft", lambda order, ctx=None, extra=1: order)
    app.add_handler("ValidateChangeOrderDraft", lambda *args: args[0])
    assert app.handlers["ValidateChangeOrderDraft"].wants_context


def test_per_handler_policy_is_checked() -> None:
    app = make_app()
    with pytest.raises(ConfigurationError, match="Unknown failure_policy"):
        app.add_handler("ValidatePurchaseOrderDraft", lambda o: o, failure_policy="maybe")


# -- the happy path ----------------------------------------------------------------------------


async def test_answer_is_the_object_as_the_handler_left_it(purchase_order: dict[str, Any]) -> None:
    app = make_app()

    @app.validate_purchase_order_draft
    async def check(order: Order) -> Order:
        order.parameter("companyName").set_error("ACME001", "Company name is not valid.")
        return order

    response = await post(app, purchase_order)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    expected = without_errors(purchase_order)
    parameter = expected["parameters"]["ordering"][0]
    parameter["error"] = {"id": "ACME001", "message": "Company name is not valid."}
    parameter["constraints"] = {"hidden": False, "required": True, "readonly": False}
    assert answer == expected


@pytest.mark.parametrize(
    "path", ["/", "/ValidatePurchaseOrderDraft", "/validatePurchaseOrderDraft"]
)
async def test_served_on_root_and_on_the_type_path(
    path: str, purchase_order: dict[str, Any]
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    response = await post(app, purchase_order, path=path)
    assert response.status_code == 200
    assert response.json() == without_errors(purchase_order)


async def test_sync_handler_with_context_and_in_place_mutation(
    purchase_order: dict[str, Any],
) -> None:
    app = make_app(deadline=3)
    seen: dict[str, Any] = {}

    @app.validate_purchase_order_draft
    def check(order: Order, ctx: CallContext) -> None:
        seen.update(
            webhook_id=ctx.webhook_id,
            webhook_type=ctx.webhook_type,
            claims=dict(ctx.claims),
            headers=dict(ctx.headers),
            deadline=ctx.deadline,
            remaining=ctx.remaining(),
        )
        order.notes = "checked"

    response = await post(app, purchase_order, headers={"X-Correlation-Id": "abc"})
    assert response.json()["notes"] == "checked"
    assert seen["webhook_id"] == WEBHOOK_ID
    assert seen["webhook_type"] == "ValidatePurchaseOrderDraft"
    assert seen["claims"]["iss"] == "mpt"
    assert seen["headers"]["x-correlation-id"] == "abc"
    assert "authorization" not in seen["headers"]
    assert seen["deadline"] == 3
    assert 0 < seen["remaining"] <= 3


async def test_raw_dict_handler_by_annotation(purchase_order: dict[str, Any]) -> None:
    app = make_app()
    received: list[Any] = []

    @app.validate_purchase_order_draft
    async def check(order: dict[str, Any]) -> dict[str, Any]:
        received.append(order)
        order["notes"] = "raw"
        return order

    response = await post(app, purchase_order)
    assert type(received[0]) is dict
    assert received[0]["error"] is None  # cleared before the handler, in the dict too
    assert response.json()["notes"] == "raw"


async def test_clear_errors_off_keeps_previous_errors(purchase_order: dict[str, Any]) -> None:
    app = make_app(clear_errors=False)
    app.add_handler("ValidatePurchaseOrderDraft", lambda order: order, raw=True)
    assert (await post(app, purchase_order)).json() == purchase_order


async def test_absent_error_stays_absent(purchase_order: dict[str, Any]) -> None:
    del purchase_order["error"]
    del purchase_order["parameters"]["ordering"][0]["error"]
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    assert (await post(app, purchase_order)).json() == purchase_order


# -- type resolution on one URL ----------------------------------------------------------------


def order_of(order_type: str, status: str = "Draft") -> dict[str, Any]:
    return {"id": "ORD-1111-2222-3333", "type": order_type, "status": status, "lines": []}


async def test_body_decides_between_order_types() -> None:
    app = make_app()
    calls: list[str] = []
    for kind in (
        "ValidatePurchaseOrderDraft",
        "ValidateChangeOrderDraft",
        "ValidateTerminateOrder",
    ):
        app.add_handler(kind, lambda order, ctx: calls.append(ctx.webhook_type))
    await post(app, order_of("Change"))
    await post(app, order_of("Termination"))
    await post(app, order_of("Purchase"))
    assert calls == [
        "ValidateChangeOrderDraft",
        "ValidateTerminateOrder",
        "ValidatePurchaseOrderDraft",
    ]


async def test_no_handler_for_the_call_is_a_404_naming_the_decorator() -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    response = await post(app, order_of("Change"))
    assert response.status_code == 404
    assert "@app.validate_change_order_draft" in response.json()["message"]


async def test_ambiguous_types_on_one_url_answer_500_naming_webhooks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    app.select_order_lines(lambda order: order)
    assert any("webhooks" in problem for problem in app.configuration_warnings())
    response = await post(app, order_of("Purchase"))
    assert response.status_code == 500
    assert "webhooks=" in response.json()["message"]


async def test_webhooks_map_resolves_the_ambiguity() -> None:
    select_id = "WBH-0000-0002"
    app = make_app(
        secrets={WEBHOOK_ID: SECRET, select_id: SECRET},
        webhooks={WEBHOOK_ID: "ValidatePurchaseOrderDraft", select_id: "selectOrderLines"},
    )
    calls: list[str] = []
    app.validate_purchase_order_draft(lambda order, ctx: calls.append(ctx.webhook_type))
    app.select_order_lines(lambda order, ctx: calls.append(ctx.webhook_type))
    await post(app, order_of("Purchase"), token=pyjwt_token(webhook_id=select_id))
    await post(app, order_of("Purchase"))
    assert calls == ["SelectOrderLines", "ValidatePurchaseOrderDraft"]
    assert app.configuration_warnings() == []


async def test_path_decides_when_given() -> None:
    app = make_app()
    calls: list[str] = []
    app.validate_purchase_order_draft(lambda order, ctx: calls.append(ctx.webhook_type))
    app.select_order_lines(lambda order, ctx: calls.append(ctx.webhook_type))
    response = await post(app, order_of("Purchase"), path="/SelectOrderLines")
    assert response.status_code == 200
    assert calls == ["SelectOrderLines"]


@pytest.mark.parametrize(
    ("body", "decorator"),
    [
        pytest.param({"id": "ACC-1671-0642", "type": "Client"}, "validate_account", id="account"),
        pytest.param(
            {"id": "REQ-1671-0642", "status": "Querying"}, "validate_request", id="request"
        ),
        pytest.param({"id": "ENR-1234-5678", "type": "New"}, "validate_enrollment_draft", id="enr"),
        pytest.param(
            {"id": "ENR-1234-5678", "type": "Change", "status": "Querying"},
            "validate_re_enrollment_querying",
            id="re-enrollment-querying",
        ),
    ],
)
async def test_other_object_kinds_reach_their_handler(body: dict[str, Any], decorator: str) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    seen: list[str] = []

    def handler(obj: Any) -> Any:
        seen.append(type(obj).__name__)
        obj.set_error("X1", "refused")
        return obj

    getattr(app, decorator)(handler)
    response = await post(app, body)
    assert response.status_code == 200, response.text
    assert response.json()["error"] == {"id": "X1", "message": "refused"}
    assert seen
    assert seen[0] != "dict"


# -- answers that cannot go to the platform, and the failure policy ------------------------------


def failing(kind: str) -> Any:
    async def handler(order: Order) -> Any:
        order.notes = "half-done"
        if kind == "raise":
            raise RuntimeError("upstream exploded: password=hunter2")
        if kind == "hang":
            await asyncio.sleep(5)
        if kind == "wrong-id":
            order.id = "ORD-0000-0000-0000"
            return order
        if kind == "list":
            return [order.to_dict()]
        if kind == "unserializable":
            return {"id": order.id, "when": object()}
        return order

    return handler


@pytest.mark.parametrize("kind", ["raise", "hang", "wrong-id", "list", "unserializable"])
async def test_error_policy_answers_500_without_details(
    kind: str, purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(deadline=0.05)
    app.validate_purchase_order_draft(failing(kind))
    response = await post(app, purchase_order)
    assert response.status_code == 500
    assert response.json() == {
        "id": "handler_failed",
        "message": "The validation handler failed; details are in the receiver's log.",
    }
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert any(record.levelno >= logging.ERROR for record in caplog.records)


@pytest.mark.parametrize("kind", ["raise", "hang", "wrong-id"])
async def test_reject_policy_answers_200_with_an_order_error(
    kind: str, purchase_order: dict[str, Any]
) -> None:
    app = make_app(failure_policy="reject", deadline=0.05, reject_message="Try again later.")
    app.validate_purchase_order_draft(failing(kind))
    response = await post(app, purchase_order)
    assert response.status_code == 200
    expected = without_errors(purchase_order)
    expected["error"] = {"id": "RCV-VALIDATION-FAILED", "message": "Try again later."}
    assert response.json() == expected  # the half-done change is not sent


async def test_accept_policy_per_handler_sends_the_object_unchanged(
    purchase_order: dict[str, Any],
) -> None:
    app = make_app(failure_policy="reject")
    app.add_handler("ValidatePurchaseOrderDraft", failing("raise"), failure_policy="accept")
    response = await post(app, purchase_order)
    assert response.status_code == 200
    assert response.json() == without_errors(purchase_order)


async def test_sync_handler_past_its_deadline() -> None:
    app = make_app(failure_policy="reject")

    def slow(order: Order) -> Order:
        time.sleep(1.0)
        return order

    app.add_handler("ValidatePurchaseOrderDraft", slow, deadline=0.05)
    started = time.monotonic()
    response = await post(app, order_of("Purchase"))
    assert time.monotonic() - started < 0.8  # answered at the deadline, not after the handler
    assert response.json()["error"]["id"] == "RCV-VALIDATION-FAILED"


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status", "error_id"),
    [
        pytest.param(b"\xff\xfe{}", "application/json", 400, "invalid_json", id="invalid-utf8"),
        pytest.param(b"{not json", "application/json", 400, "invalid_json", id="invalid-json"),
        pytest.param(b"[1, 2]", "application/json", 400, "not_an_object", id="array"),
        pytest.param(b'"ORD"', "application/json", 400, "not_an_object", id="string"),
        pytest.param(b"null", "application/json", 400, "not_an_object", id="null"),
        pytest.param(b"{}", "application/json", 400, "missing_id", id="no-id"),
        pytest.param(b'{"id": 5}', "application/json", 400, "missing_id", id="id-not-a-string"),
        pytest.param(b"", "application/json", 400, "empty_body", id="empty"),
        pytest.param(
            b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "invalid_json", id="deep"
        ),
        pytest.param(b"{}", "text/plain", 415, "unsupported_media_type", id="text-plain"),
        pytest.param(
            b"{}", "application/x-www-form-urlencoded", 415, "unsupported_media_type", id="form"
        ),
    ],
)
async def test_bad_input_gets_a_clear_json_error(
    content: bytes, content_type: str, status: int, error_id: str
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    response = await post(app, None, content=content, headers={"Content-Type": content_type})
    assert response.status_code == status
    assert response.json()["id"] == error_id
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "application/vnd.api+json", "text/json"]
)
async def test_json_media_types_are_accepted(content_type: str) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    response = await post(app, order_of("Purchase"), headers={"Content-Type": content_type})
    assert response.status_code == 200


async def test_body_over_the_limit_is_refused_by_content_length() -> None:
    app = make_app(max_body_size=1000)
    app.validate_purchase_order_draft(lambda order: order)
    big = order_of("Purchase") | {"notes": "x" * 2000}
    response = await post(app, big)
    assert response.status_code == 413
    assert "max_body_size" in response.json()["message"]


async def test_streamed_body_over_the_limit_stops_reading() -> None:
    app = make_app(max_body_size=10_000)
    app.validate_purchase_order_draft(lambda order: order)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 1000
            yield b" " * 1000

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as c:
        response = await c.post(
            "/",
            content=chunks(),
            headers={
                "Authorization": f"Bearer {pyjwt_token()}",
                "Content-Type": "application/json",
            },
        )
    assert response.status_code == 413


async def test_a_body_arriving_too_slowly_gets_408() -> None:
    app = make_app(body_timeout=0.2)
    app.validate_purchase_order_draft(lambda order: order)
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": b'{"id": "ORD-1', "more_body": True}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # a client that stops sending mid-body
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ValidatePurchaseOrderDraft",
        "raw_path": b"/ValidatePurchaseOrderDraft",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {pyjwt_token()}".encode()),
            (b"content-type", b"application/json"),
        ],
    }
    started = time.monotonic()
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert time.monotonic() - started < 2
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["id"] == "body_timeout"


def test_body_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="body_timeout"):
        make_app(body_timeout=0)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/", 405, id="get-root"),
        pytest.param("PUT", "/ValidatePurchaseOrderDraft", 405, id="put-type"),
        pytest.param("POST", "/healthz", 405, id="post-healthz"),
        pytest.param("POST", "/nope", 404, id="unknown-path"),
        pytest.param("POST", "/ValidateNothing", 404, id="unknown-type-path"),
        pytest.param("GET", "/_receiver/webhooks", 404, id="admin-off"),
    ],
)
async def test_routes_and_methods(method: str, path: str, status: int) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as c:
        response = await c.request(method, path)
    assert response.status_code == status
    assert response.json()["id"]
    if status == 405:
        assert response.headers["allow"]


async def test_health_check_needs_no_token() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_app()), base_url="https://x"
    ) as c:
        response = await c.get("/healthz")
    assert response.json() == {"status": "ok"}


# -- statistics and the log line -------------------------------------------------------------------

ADMIN = "admin-token-admin-token-0001"


async def test_statistics_in_the_seed_shape(purchase_order: dict[str, Any]) -> None:
    app = make_app(admin_token=ADMIN, failure_policy="error")
    fail = {"now": False}

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        if fail["now"]:
            raise RuntimeError("boom")
        return order

    await post(app, purchase_order)
    fail["now"] = True
    await post(app, purchase_order)
    await post(app, purchase_order, token=pyjwt_token(webhook_id="WBH-FORGED-0001"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as c:
        listing = (
            await c.get("/_receiver/webhooks", headers={"Authorization": f"Bearer {ADMIN}"})
        ).json()
        one = (
            await c.get(
                f"/_receiver/webhooks/{WEBHOOK_ID}", headers={"Authorization": f"Bearer {ADMIN}"}
            )
        ).json()
        denied = await c.get("/_receiver/webhooks", headers={"Authorization": "Bearer wrong"})
        missing = await c.get(
            "/_receiver/webhooks/WBH-0000-0000", headers={"Authorization": f"Bearer {ADMIN}"}
        )
    assert denied.status_code == 401
    assert missing.status_code == 404
    assert [webhook["id"] for webhook in listing["data"]] == [WEBHOOK_ID]  # forged id not recorded
    assert listing["$meta"]["pagination"]["total"] == 1
    assert one["statistics"] == {
        "total": 2,
        "successes": 1,
        "failures": 1,
        "failuresSinceLastSuccess": 1,
    }
    assert one["type"] == "ValidatePurchaseOrderDraft"
    assert one["lastSuccess"]["httpStatusCode"] == "OK"
    assert one["lastFailure"]["httpStatusCode"] == "InternalServerError"
    assert one["lastFailure"]["reasonPhrase"] == "Internal Server Error"
    assert one["lastCall"] == one["lastFailure"]
    for field in ("success", "callTime", "responseTime", "error", "headers", "response"):
        assert field in one["lastCall"]
    assert "authorization" not in one["lastCall"]["headers"].lower()


async def test_one_structured_log_line_per_call(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="receiver.calls")
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    await post(app, purchase_order)
    (record,) = [r for r in caplog.records if r.name == "receiver.calls"]
    assert record.webhook_id == WEBHOOK_ID  # type: ignore[attr-defined]
    assert record.object_id == purchase_order["id"]  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]
    assert record.outcome == "accepted"  # type: ignore[attr-defined]
    assert "duration_ms=" in record.getMessage()


async def test_mounted_in_starlette(purchase_order: dict[str, Any]) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    receiver = make_app()
    receiver.validate_purchase_order_draft(lambda order: order)
    outer = Starlette(routes=[Mount("/mpt", app=receiver)])
    for path in ("/mpt/", "/mpt/ValidatePurchaseOrderDraft"):
        response = await post(outer, purchase_order, path=path)
        assert response.status_code == 200, (path, response.text)


async def test_secrets_from_the_environment(
    purchase_order: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEIVER_SECRETS", json.dumps({WEBHOOK_ID: SECRET}))
    app = Receiver()
    app.validate_purchase_order_draft(lambda order: order)
    assert (await post(app, purchase_order)).status_code == 200


async def test_missing_environment_secrets_fail_the_startup(
    purchase_order: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
    app = Receiver()
    app.validate_purchase_order_draft(lambda order: order)
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "RECEIVER_SECRETS" in sent[0]["message"]
    # Mounted apps get no lifespan: the first call says it is misconfigured, without details.
    response = await post(app, purchase_order)
    assert response.status_code == 500
    assert response.json()["id"] == "misconfigured"


async def test_lifespan_startup_and_shutdown() -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    sent: list[str] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    await app({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(RegistrationClosedError):
        app.validate_change_order_draft(lambda order: order)


async def test_select_order_lines_only_competes_for_purchase_orders() -> None:
    app = make_app()
    calls: list[str] = []
    app.validate_change_order_draft(lambda order, ctx: calls.append(ctx.webhook_type))
    app.select_order_lines(lambda order, ctx: calls.append(ctx.webhook_type))
    assert app.configuration_warnings() == []
    assert (await post(app, order_of("Change", "draft"))).status_code == 200
    assert (await post(app, order_of("Purchase"))).status_code == 200
    assert calls == ["ValidateChangeOrderDraft", "SelectOrderLines"]


async def test_no_handler_outcome_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="receiver.calls")
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    await post(app, order_of("Change"))
    (record,) = [r for r in caplog.records if r.name == "receiver.calls"]
    assert record.outcome == "no_handler"  # type: ignore[attr-defined]


async def test_a_bug_of_ours_still_gets_a_json_500(
    purchase_order: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("oops")

    monkeypatch.setattr("receiver.tokens.check_claims", broken)  # outside any handler
    response = await post(app, purchase_order)
    assert response.status_code == 500
    assert response.json() == {
        "id": "internal_error",
        "message": "The receiver failed; see its log.",
    }
    assert "oops" not in response.text


@pytest.mark.parametrize(
    "answer_change",
    [
        pytest.param({"error": "Unknown tenant."}, id="request-string-error"),
        pytest.param(
            {"parameters": [{"externalId": "tenant", "errorMessage": "Unknown tenant."}]},
            id="request-parameter-errorMessage",
        ),
    ],
)
async def test_openapi_shaped_refusals_are_logged_as_refused(
    answer_change: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="receiver.calls")
    app = make_app()

    @app.validate_request
    def refuse(request: dict[str, Any]) -> dict[str, Any]:
        return request | answer_change

    await post(app, {"id": "REQ-1671-0642", "parameters": [{"externalId": "tenant"}]})
    (record,) = [r for r in caplog.records if r.name == "receiver.calls"]
    assert record.outcome == "refused"  # type: ignore[attr-defined]


def test_a_bare_on_decorator_is_refused_at_once_with_the_line_to_write() -> None:
    app = make_app()
    with pytest.raises(
        ConfigurationError, match=r'@app.on\("ValidatePurchaseOrderDraft"\)'
    ) as caught:

        @app.on  # type: ignore[arg-type]
        def check(order: Order) -> Order:
            return order

    assert "def check(...)" in str(caught.value)
    assert app.handlers == {}


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate, gzip", "GZIP", "x-\u00e9"])
async def test_an_encoded_body_is_refused_unread_with_415_naming_the_encoding(
    encoding: str,
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    received: list[object] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-encoding", encoding.encode("latin-1", "replace")),
            (b"authorization", f"Bearer {pyjwt_token()}".encode()),
        ],
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 415
    body = json.loads(sent[1]["body"])
    assert body["id"] == "unsupported_media_type"
    assert "Content-Encoding" in body["message"]
    assert received == []


@pytest.mark.parametrize("encoding", ["identity", ""])
async def test_an_identity_encoding_is_plain_json(
    encoding: str, purchase_order: dict[str, Any]
) -> None:
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    response = await post(app, purchase_order, headers={"Content-Encoding": encoding})
    assert response.status_code == 200
