"""The Webhook API end to end: every rule, and every error with its status and ProblemDetails."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from receiver.simulator.rql import MAX_DEPTH

from .conftest import (
    BASE_URL,
    PRODUCT,
    SECRET,
    VENDOR_URL,
    WEBHOOKS,
    Env,
    raw_get,
    simulated,
)
from .schema import check_schema, check_webhook

pytestmark = pytest.mark.anyio


def check_webhook_schema(wire: dict[str, Any]) -> None:
    # The OpenAPI types criteria as [{key, value}]; the platform sends a flat object
    # (platform.md §6), and so does the simulator. ``name`` and ``href`` (shown by the platform's
    # docs, platform.md §4.3) are outside the OpenAPI: check_webhook reads both that way.
    check_webhook(wire)


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://tools.ietf.org/html/rfc9110#section-")
    assert body["title"]
    assert body["instance"] == response.request.url.path
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", body["traceId"])
    check_schema(body, "ProblemDetails")
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


# -- create -----------------------------------------------------------------------------------


async def test_create_answers_201_with_every_field_of_the_seed(env: Env) -> None:
    response = await env.api.post(
        WEBHOOKS,
        json={
            "type": "ValidatePurchaseOrderDraft",
            "description": "Purchase order draft validation",
            "url": VENDOR_URL,
            "criteria": {"product.id": PRODUCT},
            "secret": SECRET,
        },
    )

    assert response.status_code == 201
    wire = response.json()
    assert re.fullmatch(r"WBH-\d{4}-\d{4}", wire["id"])
    assert response.headers["location"] == f"{WEBHOOKS}/{wire['id']}"
    assert wire["href"] == f"/notifications/webhooks/{wire['id']}"
    assert wire["name"] == wire["id"]
    assert wire["description"] == "Purchase order draft validation"
    assert wire["status"] == "Enabled"
    assert wire["type"] == "ValidatePurchaseOrderDraft"
    assert wire["objectType"] == "Order"
    assert wire["url"] == VENDOR_URL
    assert wire["criteria"] == {"product.id": PRODUCT}
    assert wire["object"] == {"id": PRODUCT, "name": PRODUCT}
    # type and status: the OpenAPI's Account schema requires them.
    assert wire["account"] == {
        "id": "ACC-1234-5678",
        "name": "Simulated vendor",
        "type": "Vendor",
        "status": "Active",
    }
    assert wire["audit"]["created"]["at"].endswith("Z")
    assert wire["audit"]["created"]["by"]["id"].startswith("TKN-")
    assert wire["secret"] == SECRET
    assert wire["$meta"]["omitted"] == ["statistics", "lastCall", "lastSuccess", "lastFailure"]
    check_webhook_schema(wire)


async def test_the_secret_is_generated_when_not_given_and_shown_only_once(env: Env) -> None:
    created = await env.create(secret=...)

    assert len(created["secret"]) >= 40
    fetched = await env.get(created["id"])
    listed = (await env.api.get(WEBHOOKS, params={"select": "+statistics"})).json()["data"]
    assert "secret" not in fetched
    assert all("secret" not in item for item in listed)
    assert env.sim.store.webhook(created["id"]).secret == created["secret"]  # type: ignore[union-attr]


async def test_enums_in_either_casing_come_back_pascal_case(env: Env) -> None:
    created = await env.create(type="validatePurchaseOrderDraft", status="disabled")

    assert (created["type"], created["status"], created["objectType"]) == (
        "ValidatePurchaseOrderDraft",
        "Disabled",
        "Order",
    )


async def test_status_in_create_is_honoured_as_the_aws_migrations_send_it(env: Env) -> None:
    enabled = await env.create(status="Enabled")
    disabled = await env.create(type="ValidateChangeOrderDraft", status="Disabled")

    assert (enabled["status"], disabled["status"]) == ("Enabled", "Disabled")


@pytest.mark.parametrize(
    ("webhook_type", "criteria", "object_type"),
    [
        pytest.param("ValidateEnrollmentDraft", {"program.id": "PRG-1"}, "Enrollment", id="enr"),
        pytest.param("ValidateAnswer", {"form.id": "FRM-1"}, "Answer", id="answer"),
        pytest.param("ValidateAccount", {"product.id": PRODUCT}, "Account", id="account"),
        pytest.param("ValidateRequest", {"product.id": PRODUCT}, "Request", id="request"),
        pytest.param("SelectOrderLines", {"product.id": PRODUCT}, "Order", id="select-lines"),
    ],
)
async def test_object_type_is_derived_from_the_type(
    env: Env, webhook_type: str, criteria: dict[str, str], object_type: str
) -> None:
    created = await env.create(type=webhook_type, criteria=criteria)

    assert created["objectType"] == object_type
    assert created["object"]["id"] == next(iter(criteria.values()))


async def test_criteria_as_a_key_value_list_is_accepted_and_shown_flat(env: Env) -> None:
    created = await env.create(
        criteria=[{"key": "product.id", "value": PRODUCT}, {"key": "status", "value": "Draft"}]
    )

    assert created["criteria"] == {"product.id": PRODUCT, "status": "Draft"}


async def test_status_criterion_may_hold_several_values(env: Env) -> None:
    created = await env.create(criteria={"product.id": PRODUCT, "status": ["Draft", "Querying"]})

    assert created["criteria"]["status"] == "Draft,Querying"


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        pytest.param({"criteria": ...}, "criteria", "is required", id="no-criteria"),
        pytest.param({"criteria": {"status": "Draft"}}, "criteria", "'product.id'", id="no-anchor"),
        pytest.param(
            {"type": "ValidateEnrollmentDraft"}, "criteria", "'program.id'", id="enrollment-anchor"
        ),
        pytest.param({"type": "ValidateAnswer"}, "criteria", "'form.id'", id="answer-anchor"),
        pytest.param(
            {"criteria": {"product.id": ["PRD-1", "PRD-2"]}},
            "criteria",
            "only status may hold several values",
            id="two-products",
        ),
        pytest.param(
            {"criteria": {"product.id": 5}}, "criteria", "must have a string value", id="number"
        ),
        pytest.param(
            {"criteria": {"product.id": " "}}, "criteria", "must not be empty", id="blank"
        ),
        pytest.param({"criteria": {"": "x"}}, "criteria", "non-empty dot-paths", id="empty-key"),
        pytest.param({"criteria": ["x"]}, "criteria", "{key, value}", id="bad-list"),
        pytest.param({"type": ...}, "type", "is required", id="no-type"),
        pytest.param({"type": 7}, "type", "must be a webhook type name", id="type-number"),
        pytest.param(
            {"type": "ValidatePurchaseOrderDraf"},
            "type",
            "Did you mean ValidatePurchaseOrderDraft",
            id="typo",
        ),
        pytest.param({"url": ...}, "url", "is required", id="no-url"),
        pytest.param({"url": 3}, "url", "must be a string", id="url-number"),
        pytest.param({"url": "ftp://vendor.example/"}, "url", "absolute https://", id="ftp"),
        pytest.param({"url": "/relative"}, "url", "absolute https://", id="relative"),
        pytest.param({"url": "https://vendor.example:99999/"}, "url", "not a valid", id="port"),
        pytest.param({"url": "https://vendor.example/a b"}, "url", "whitespace", id="space"),
        pytest.param(
            {"url": "http://127.0.0.1:8080/"}, "url", "allow_http=True", id="http-no-flag"
        ),
        pytest.param({"status": "Active"}, "status", "Enabled or Disabled", id="status"),
        pytest.param({"secret": ""}, "secret", "non-empty", id="empty-secret"),
        pytest.param(
            {"secret": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"},
            "secret",
            "PEM",
            id="pem-secret",
        ),
        pytest.param({"description": 1}, "description", "string", id="description"),
        pytest.param({"name": "x"}, "name", "is not a field", id="unknown-field"),
        pytest.param({"webhookId": "WBH-1"}, "webhookId", "is not a field", id="webhook-id"),
    ],
)
async def test_create_refuses_bad_input_with_400(
    env: Env, fields: dict[str, Any], field: str, fragment: str
) -> None:
    body: dict[str, Any] = {
        "type": "ValidatePurchaseOrderDraft",
        "url": VENDOR_URL,
        "criteria": {"product.id": PRODUCT},
    }
    body.update(fields)
    body = {name: value for name, value in body.items() if value is not ...}

    response = await env.api.post(WEBHOOKS, json=body)

    problem = assert_problem(response, 400, fragment)
    assert fragment in " ".join(problem["errors"][field])


async def test_http_urls_need_the_flag_and_a_loopback_host() -> None:
    async with simulated(allow_http=True) as env:
        for index, url in enumerate(
            ["http://127.0.0.1:8080/", "http://localhost/", "http://[::1]:9/", "http://127.8.9.1/"]
        ):
            await env.create(url=url, criteria={"product.id": f"PRD-0000-000{index}"})

        response = await env.api.post(
            WEBHOOKS,
            json={
                "type": "ValidatePurchaseOrderDraft",
                "url": "http://vendor.example/",
                "criteria": {"product.id": PRODUCT},
            },
        )

    assert_problem(response, 400, "only to a loopback host", "'vendor.example'")


async def test_one_webhook_per_account_type_and_object(env: Env) -> None:
    first = await env.create()
    await env.create(type="ValidateChangeOrderDraft")  # another type: fine
    await env.create(criteria={"product.id": "PRD-2222-2222"})  # another product: fine

    response = await env.api.post(
        WEBHOOKS,
        json={
            "type": "validatePurchaseOrderDraft",
            "url": "https://other.example/",
            "criteria": {"product.id": PRODUCT},
        },
    )

    assert_problem(response, 409, first["id"], "already exists")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/json",
        "application/vnd.mpt+json",
        "application/json; charset=utf-8",
    ],
)
async def test_json_media_types_are_accepted(env: Env, content_type: str) -> None:
    response = await env.api.post(
        WEBHOOKS,
        content=(
            b'{"type": "ValidatePurchaseOrderDraft", "url": "https://v.example/",'
            b' "criteria": {"product.id": "PRD-1111-1111"}}'
        ),
        headers={"Content-Type": content_type},
    )

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("content", "headers", "status", "fragment"),
    [
        pytest.param(b"{}", {"Content-Type": "text/plain"}, 415, "text/plain", id="text"),
        pytest.param(b"{}", {"Content-Type": ""}, 415, "application/json", id="empty-type"),
        pytest.param(b"{nope", {"Content-Type": "application/json"}, 400, "not valid JSON", id="j"),
        pytest.param(b"[1]", {"Content-Type": "application/json"}, 400, "JSON object", id="array"),
        pytest.param(b"", {"Content-Type": "application/json"}, 400, "empty", id="empty"),
        pytest.param(
            b"x" * (5 * 1024 * 1024 + 1),
            {"Content-Type": "application/json"},
            413,
            "larger",
            id="too-large",
        ),
    ],
)
async def test_unusable_bodies(
    env: Env, content: bytes, headers: dict[str, str], status: int, fragment: str
) -> None:
    response = await env.api.post(WEBHOOKS, content=content, headers=headers)

    assert_problem(response, status, fragment)


async def test_a_body_over_the_limit_without_content_length_is_refused(env: Env) -> None:
    async def chunks() -> Any:
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    response = await env.api.post(
        WEBHOOKS, content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413)


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer wrong-token", id="wrong"),
        pytest.param("Basic c2ltdWxhdG9yLXRlc3QtdG9rZW4tMDEyMzQ1Njc4OQ==", id="basic"),
        pytest.param("Bearer", id="empty"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", WEBHOOKS, id="list"),
        pytest.param("POST", WEBHOOKS, id="create"),
        pytest.param("DELETE", f"{WEBHOOKS}/WBH-1111-1111", id="delete"),
        pytest.param("POST", "/public/v1/commerce/orders/validate", id="validate"),
    ],
)
async def test_the_api_needs_the_bearer_token(
    env: Env, authorization: str | None, method: str, path: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=env.sim), base_url=BASE_URL
    ) as anonymous:
        response = await anonymous.request(method, path, headers=headers, json={})

    assert_problem(response, 401, "Authorization: Bearer <token>")
    assert response.headers["www-authenticate"] == "Bearer"
    assert env.sim.store.webhooks() == []


async def test_the_dashboard_and_health_need_no_token(env: Env) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=env.sim), base_url=BASE_URL
    ) as anonymous:
        health = await anonymous.get("/healthz")
        page = await anonymous.get("/")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert page.status_code == 200


# -- get, select ------------------------------------------------------------------------------


async def test_get_shows_statistics_and_calls_only_when_selected(env: Env) -> None:
    created = await env.create()

    plain = (await env.api.get(f"{WEBHOOKS}/{created['id']}")).json()
    selected = await env.get(created["id"])
    trimmed = (await env.api.get(f"{WEBHOOKS}/{created['id']}?select=-audit,-description")).json()

    assert "statistics" not in plain
    assert "lastCall" not in plain
    assert selected["statistics"] == {
        "total": 0,
        "successes": 0,
        "failures": 0,
        "failuresSinceLastSuccess": 0,
    }
    assert "lastCall" not in selected  # never called: absent, not null
    assert "$meta" not in selected
    assert "audit" not in trimmed
    assert "description" not in trimmed
    assert trimmed["$meta"]["omitted"][-2:] == ["audit", "description"]
    check_webhook_schema(selected)


async def test_get_an_unknown_webhook_is_404(env: Env) -> None:
    response = await env.api.get(f"{WEBHOOKS}/WBH-0000-0000")

    assert_problem(response, 404, "WBH-0000-0000 was not found")


# -- update -----------------------------------------------------------------------------------


async def test_update_changes_what_is_given_and_keeps_the_rest(env: Env) -> None:
    created = await env.create(description="before")

    response = await env.api.put(
        f"{WEBHOOKS}/{created['id']}",
        json={
            "webhookId": created["id"],
            "url": "https://new.example/hook",
            "type": "validatePurchaseOrderDraft",
        },
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["url"] == "https://new.example/hook"
    assert updated["description"] == "before"
    assert updated["criteria"] == created["criteria"]
    assert "secret" not in updated
    assert updated["audit"]["updated"]["at"] >= created["audit"]["updated"]["at"]


async def test_update_accepts_the_openapi_optional_wrappers(env: Env) -> None:
    created = await env.create()

    response = await env.api.put(
        f"{WEBHOOKS}/{created['id']}",
        json={
            "description": {"hasValue": True, "value": "wrapped"},
            "criteria": {"value": {"product.id": "PRD-2222-2222"}},
            "secret": "a-new-secret-a-new-secret-a-new-secret",
            "status": "disabled",
        },
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["description"], updated["object"]["id"], updated["status"]) == (
        "wrapped",
        "PRD-2222-2222",
        "Disabled",
    )
    record = env.sim.store.webhook(created["id"])
    assert record is not None
    assert record.secret == "a-new-secret-a-new-secret-a-new-secret"


async def test_update_can_clear_the_description(env: Env) -> None:
    created = await env.create(description="before")

    response = await env.api.put(f"{WEBHOOKS}/{created['id']}", json={"description": None})

    assert "description" not in response.json()


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        pytest.param({"type": "ValidateChangeOrderDraft"}, "type", "cannot change", id="type"),
        pytest.param({"webhookId": "WBH-0000-0000"}, "webhookId", "the id in the URL", id="id"),
        pytest.param({"url": None}, "url", "is required", id="url-null"),
        pytest.param({"url": "http://127.0.0.1/"}, "url", "allow_http", id="http"),
        pytest.param({"criteria": None}, "criteria", "is required", id="criteria-null"),
        pytest.param({"criteria": {"x": "1"}}, "criteria", "'product.id'", id="no-anchor"),
        pytest.param({"secret": None}, "secret", "cannot be removed", id="secret-null"),
        pytest.param({"secret": 5}, "secret", "non-empty", id="secret-number"),
        pytest.param({"status": "on"}, "status", "Enabled or Disabled", id="status"),
        pytest.param({"objectType": "Order"}, "objectType", "is not a field", id="unknown"),
    ],
)
async def test_update_refuses_bad_input_with_400(
    env: Env, body: dict[str, Any], field: str, fragment: str
) -> None:
    created = await env.create()

    response = await env.api.put(f"{WEBHOOKS}/{created['id']}", json=body)

    problem = assert_problem(response, 400, fragment)
    assert field in problem["errors"]


async def test_update_into_another_webhooks_place_is_409(env: Env) -> None:
    first = await env.create()
    second = await env.create(criteria={"product.id": "PRD-2222-2222"})

    response = await env.api.put(
        f"{WEBHOOKS}/{second['id']}", json={"criteria": {"product.id": PRODUCT}}
    )

    assert_problem(response, 409, first["id"])
    assert (await env.get(second["id"]))["object"]["id"] == "PRD-2222-2222"


async def test_update_an_unknown_webhook_is_404(env: Env) -> None:
    response = await env.api.put(f"{WEBHOOKS}/WBH-0000-0000", json={"description": "x"})

    assert_problem(response, 404)


# -- delete, enable, disable ------------------------------------------------------------------


async def test_delete_is_204_then_404(env: Env) -> None:
    created = await env.create()

    deleted = await env.api.delete(f"{WEBHOOKS}/{created['id']}")
    again = await env.api.delete(f"{WEBHOOKS}/{created['id']}")
    fetched = await env.api.get(f"{WEBHOOKS}/{created['id']}")

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert_problem(again, 404)
    assert_problem(fetched, 404)
    await env.create()  # its place is free again


async def test_enable_and_disable_are_204(env: Env) -> None:
    created = await env.create()

    disabled = await env.api.post(f"{WEBHOOKS}/{created['id']}/disable")
    after_disable = (await env.get(created["id"]))["status"]
    disabled_again = await env.api.post(f"{WEBHOOKS}/{created['id']}/disable")
    enabled = await env.api.post(f"{WEBHOOKS}/{created['id']}/enable")

    assert (disabled.status_code, disabled_again.status_code, enabled.status_code) == (204,) * 3
    assert after_disable == "Disabled"
    assert (await env.get(created["id"]))["status"] == "Enabled"


@pytest.mark.parametrize("action", ["enable", "disable"])
async def test_enable_or_disable_an_unknown_webhook_is_404(env: Env, action: str) -> None:
    response = await env.api.post(f"{WEBHOOKS}/WBH-0000-0000/{action}")

    assert_problem(response, 404)


# -- list -------------------------------------------------------------------------------------


@pytest.fixture
async def three(env: Env) -> list[dict[str, Any]]:
    return [
        await env.create(),
        await env.create(type="ValidateChangeOrderDraft", status="Disabled"),
        await env.create(criteria={"product.id": "PRD-2222-2222"}),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", [0, 1, 2], id="all-in-creation-order"),
        pytest.param("eq(type,ValidatePurchaseOrderDraft)", [0, 2], id="eq-type"),
        pytest.param("eq(type,validateChangeOrderDraft)", [1], id="eq-type-camel"),
        pytest.param(f"eq(object.id,{PRODUCT})", [0, 1], id="eq-object"),
        pytest.param("eq(status,Enabled)", [0, 2], id="eq-status"),
        pytest.param("eq(status,disabled)", [1], id="eq-status-lower"),
        pytest.param(
            f"and(eq(type,ValidatePurchaseOrderDraft),eq(object.id,{PRODUCT}))", [0], id="and"
        ),
        pytest.param(
            "eq(type,ValidatePurchaseOrderDraft)&eq(status,Enabled)&eq(object.id,PRD-2222-2222)",
            [2],
            id="several-parts",
        ),
        pytest.param("in(type,(ValidateChangeOrderDraft,ValidateTerminateOrder))", [1], id="in"),
        pytest.param("out(type,(ValidateChangeOrderDraft))", [0, 2], id="out"),
        pytest.param("ne(status,Enabled)", [1], id="ne"),
        pytest.param("not(eq(status,Enabled))", [1], id="not"),
        pytest.param("or(eq(status,Disabled),eq(object.id,PRD-2222-2222))", [1, 2], id="or"),
        pytest.param("like(object.id,PRD-2*)", [2], id="like"),
        pytest.param("ilike(type,*changeorder*)", [1], id="ilike"),
        pytest.param("status=Disabled", [1], id="shorthand"),
        pytest.param("eq(criteria.product.id,PRD-2222-2222)", [2], id="dotted-criteria-key"),
        pytest.param("eq(statistics.total,0)", [0, 1, 2], id="statistics"),
        pytest.param("eq(type,%22ValidateChangeOrderDraft%22)", [1], id="quoted"),
        pytest.param("order=-id", [0, 1, 2], id="order-is-ignored"),
    ],
)
async def test_list_filters_with_rql(
    env: Env, three: list[dict[str, Any]], query: str, expected: list[int]
) -> None:
    response = await env.api.get(f"{WEBHOOKS}?{query}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["data"]] == [three[i]["id"] for i in expected]
    assert body["$meta"]["pagination"] == {"offset": 0, "limit": 10, "total": len(expected)}
    check_schema({**body, "data": []}, "WebhookListResponse")


async def test_list_pages_with_limit_and_offset(env: Env, three: list[dict[str, Any]]) -> None:
    page = (await env.api.get(f"{WEBHOOKS}?limit=2&offset=1&select=+statistics")).json()
    count = (await env.api.get(f"{WEBHOOKS}?limit=0")).json()

    assert [item["id"] for item in page["data"]] == [three[1]["id"], three[2]["id"]]
    assert page["$meta"]["pagination"] == {"offset": 1, "limit": 2, "total": 3}
    assert all("statistics" in item for item in page["data"])
    assert count == {"$meta": {"pagination": {"offset": 0, "limit": 0, "total": 3}}, "data": []}


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        pytest.param("limit=-1", "limit must be", id="negative-limit"),
        pytest.param("limit=1001", "between 0 and 1000", id="big-limit"),
        pytest.param("limit=ten", "limit must be", id="word-limit"),
        pytest.param("offset=-5", "offset must be", id="negative-offset"),
        pytest.param("eq(type)", "expected ','", id="one-argument"),
        pytest.param("eq(type,X", "expected ')'", id="unclosed"),
        pytest.param("eq(type,X)junk", "unexpected text", id="trailing"),
        pytest.param("gt(total,1)", "unknown operator 'gt'", id="unknown-op"),
        pytest.param("eq(,X)", "missing field name", id="no-field"),
        pytest.param("not(eq(a,b),eq(c,d))", "one expression", id="not-two"),
        pytest.param("justaword", "not an RQL expression", id="word"),
        pytest.param("limit=%D9%A5", "digits 0-9", id="arabic-indic-digit"),
        pytest.param("limit=%C2%B2", "digits 0-9", id="superscript-digit"),
        pytest.param("limit=%2B5", "digits 0-9", id="plus-sign"),
        pytest.param("limit=%205", "digits 0-9", id="leading-space"),
        pytest.param("limit=1_0", "digits 0-9", id="underscore"),
        pytest.param("limit=", "digits 0-9", id="empty-limit"),
        pytest.param("offset=" + "9" * 5000, "offset must be", id="thousands-of-digits"),
        pytest.param("offset=" + "0" * 5000, "offset must be", id="thousands-of-zeros"),
        pytest.param("offset=2147483648", "between 0 and 2147483647", id="offset-past-int32"),
        pytest.param("eq(type," + "x" * 9000 + ")", "at most 8192", id="too-long"),
    ],
)
async def test_list_refuses_bad_queries(env: Env, query: str, fragment: str) -> None:
    response = await env.api.get(f"{WEBHOOKS}?{query}")

    body = assert_problem(response, 400, fragment)
    assert len(body["detail"]) < 600  # the input is quoted in part, not whole


def nested(operator: str, depth: int) -> str:
    """``depth`` levels of ``operator`` around one comparison (``and``/``or`` get a second
    argument at each level so the expression is one the platform would accept)."""
    second = {"and": ",ne(status,Gone)", "or": ",eq(status,Gone)", "not": ""}[operator]
    expression = "eq(status,Enabled)"
    for _ in range(depth - 1):
        expression = f"{operator}({expression}{second})"
    return expression


@pytest.mark.parametrize("operator", ["and", "or", "not"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 300])
async def test_deep_nesting_is_a_400_before_it_is_parsed_or_evaluated(
    env: Env, three: list[dict[str, Any]], operator: str, depth: int
) -> None:
    response = await env.api.get(f"{WEBHOOKS}?{nested(operator, depth)}")

    assert_problem(response, 400, f"nested more than {MAX_DEPTH} levels deep")


@pytest.mark.parametrize("operator", ["and", "or", "not"])
async def test_nesting_up_to_the_limit_is_answered(
    env: Env, three: list[dict[str, Any]], operator: str
) -> None:
    response = await env.api.get(f"{WEBHOOKS}?{nested(operator, MAX_DEPTH)}")

    assert response.status_code == 200, response.text
    negated = operator == "not" and (MAX_DEPTH - 1) % 2 == 1
    expected = [three[1]["id"]] if negated else [three[0]["id"], three[2]["id"]]
    assert [item["id"] for item in response.json()["data"]] == expected


async def test_a_query_string_that_is_not_utf8_is_a_400(env: Env) -> None:
    # httpx would percent-encode the byte; a raw HTTP client need not.
    status, headers, body = await raw_get(env.sim, WEBHOOKS, b"eq(type,\xff)")

    assert status == 400
    assert headers[b"content-type"] == b"application/problem+json"
    assert "not UTF-8" in json.loads(body)["detail"]


# -- routing ----------------------------------------------------------------------------------


async def test_unknown_paths_and_methods_are_problems(env: Env) -> None:
    missing = await env.api.get("/public/v1/nothing/here")
    wrong_method = await env.api.patch(f"{WEBHOOKS}/WBH-0000-0000", json={})

    assert_problem(missing, 404, "/public/v1/notifications/webhooks")
    assert_problem(wrong_method, 405, "PATCH is not allowed")


async def test_everything_but_the_dashboard_and_health_needs_the_token(env: Env) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    host = Starlette(routes=[Mount("/sim", app=env.sim)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=host), base_url=BASE_URL
    ) as anonymous:
        api = await anonymous.get(f"/sim{WEBHOOKS}")
        elsewhere = await anonymous.get("/sim/anything")
        health = await anonymous.get("/sim/healthz")
        dashboard = await anonymous.get("/sim/")
        authorized = await anonymous.get(
            f"/sim{WEBHOOKS}", headers={"Authorization": f"Bearer {env.sim.token}"}
        )

    assert (api.status_code, elsewhere.status_code) == (401, 401)
    assert (health.status_code, dashboard.status_code, authorized.status_code) == (200, 200, 200)
