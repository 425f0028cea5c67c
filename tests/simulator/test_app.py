"""The simulator app as a browser or a hostile client meets it: which Host names it answers
(DNS rebinding), the headers every answer carries, and arbitrary query strings."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from receiver.errors import ConfigurationError
from receiver.simulator import create_simulator

from .conftest import BASE_URL, TOKEN, VALIDATE, WEBHOOKS, Env, purchase_order, raw_get

pytestmark = pytest.mark.anyio

AUTH = (b"authorization", f"Bearer {TOKEN}".encode())


def host_header(host: str | None) -> list[tuple[bytes, bytes]]:
    headers = [AUTH]
    if host is not None:
        headers.append((b"host", host.encode("latin-1")))
    return headers


# -- Host -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("127.0.0.1:8090", id="ipv4-port"),
        pytest.param("127.0.0.1", id="ipv4"),
        pytest.param("127.9.8.7:80", id="ipv4-anywhere-in-127/8"),
        pytest.param("localhost:8090", id="localhost-port"),
        pytest.param("LocalHost", id="localhost-any-case"),
        pytest.param("localhost.:8090", id="localhost-fqdn"),
        pytest.param("[::1]:8090", id="ipv6-port"),
        pytest.param("[::1]", id="ipv6"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/healthz", WEBHOOKS])
async def test_loopback_host_names_are_answered(env: Env, host: str, path: str) -> None:
    status, _, body = await raw_get(env.sim, path, headers=host_header(host))

    assert status == 200, body


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("evil.example", id="a-rebound-name"),
        pytest.param("evil.example:8090", id="a-rebound-name-with-port"),
        pytest.param("127.0.0.1.evil.example", id="loopback-prefix"),
        pytest.param("localhost.evil.example", id="localhost-prefix"),
        pytest.param("10.0.0.1:8090", id="private-address"),
        pytest.param("0.0.0.0:8090", id="any-address"),
        pytest.param("::1", id="ipv6-without-brackets"),
        pytest.param("127.0.0.1:port", id="bad-port"),
        pytest.param("127.0.0.1:8090, evil.example", id="two-values"),
        pytest.param("", id="empty"),
        pytest.param(None, id="missing"),
        pytest.param("a" * 5000, id="huge"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/healthz", WEBHOOKS])
async def test_other_host_names_are_a_400_problem(env: Env, host: str | None, path: str) -> None:
    status, headers, body = await raw_get(env.sim, path, headers=host_header(host))

    assert status == 400
    assert headers[b"content-type"] == b"application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 400
    assert "--allowed-host" in problem["detail"]
    assert len(problem["detail"]) < 600


async def test_allowed_hosts_add_names_to_loopback() -> None:
    sim = create_simulator(token=TOKEN, allowed_hosts=["Simulator.Internal", "192.0.2.7"])
    try:
        named = await raw_get(sim, "/healthz", headers=host_header("simulator.internal:8090"))
        address = await raw_get(sim, "/healthz", headers=host_header("192.0.2.7"))
        loopback = await raw_get(sim, "/healthz", headers=host_header("localhost"))
        other = await raw_get(sim, "/healthz", headers=host_header("evil.example"))
    finally:
        sim.close()

    assert [named[0], address[0], loopback[0], other[0]] == [200, 200, 200, 400]
    assert sim.allowed_hosts == ("simulator.internal", "192.0.2.7")


async def test_a_star_allows_any_host() -> None:
    sim = create_simulator(token=TOKEN, allowed_hosts=["*"])
    try:
        status, _, _ = await raw_get(sim, "/healthz", headers=host_header("evil.example"))
    finally:
        sim.close()

    assert status == 200


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("sim.internal:8090", id="with-port"),
        pytest.param("http://sim.internal", id="a-url"),
        pytest.param("", id="empty"),
        pytest.param("a b", id="space"),
        pytest.param("*.internal", id="pattern"),
    ],
)
def test_allowed_hosts_are_host_names(name: str) -> None:
    with pytest.raises(ConfigurationError, match="allowed_hosts"):
        create_simulator(allowed_hosts=[name])


def test_allowed_hosts_is_a_list_not_a_string() -> None:
    with pytest.raises(ConfigurationError, match=r"write \['sim.internal'\]"):
        create_simulator(allowed_hosts="sim.internal")


# -- headers on every answer ----------------------------------------------------------------------


async def test_every_answer_says_nosniff_and_forbids_scripts(env: Env) -> None:
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=env.sim), base_url=BASE_URL)
    async with anonymous:
        answers = {
            "dashboard": await env.api.get("/"),
            "health": await env.api.get("/healthz"),
            "list": await env.api.get(WEBHOOKS),
            "validate": await env.validate(purchase_order()),
            "bad query": await env.api.get(f"{WEBHOOKS}?limit=x"),
            "not found": await env.api.get("/nothing"),
            "no token": await anonymous.get(WEBHOOKS),
            "wrong host": await anonymous.get("/", headers={"Host": "evil.example"}),
        }

    for name, response in answers.items():
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert "default-src 'none'" in response.headers["content-security-policy"], name
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name
    # The page's own policy (inline style only) is kept, not replaced or doubled.
    assert answers["dashboard"].headers.get_list("content-security-policy") == [
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
        " frame-ancestors 'none'"
    ]


# -- arbitrary query strings ----------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        *("and", "or", "not", "eq", "ne", "in", "out", "like", "ilike", "gt", "ordering"),
        *("select", "limit", "offset", "order", "refresh", "webhookType"),
        *("type", "status", "object.id", "statistics.total", "criteria.product.id", "a.b.c"),
        *("Enabled", "ValidatePurchaseOrderDraft", "*", "+", "-", "?", "[", "]"),
        *("(", ")", ",", "&", "=", "'", '"', " ", "\\", "\x00", "\r\n"),
        *("%", "%2", "%28", "%29", "%2C", "%26", "%3D", "%2B", "%20", "%C2%B2", "%D9%A5"),
        *(
            "%FF",
            "%00",
            "%E2%80%AE",
            "\u00b2",
            "\u0665",
            "\U0001d7d9",
            "9" * 5000,
            "0" * 60,
            "1e3",
            "-0",
        ),
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=30).map("".join)
_NESTED = st.builds(
    lambda operator, depth, core: f"{operator}(" * depth + core + ")" * depth,
    st.sampled_from(["and", "or", "not", "eq", "", "select"]),
    st.integers(0, 3000),
    _TEXT,
)
QUERIES = st.one_of(
    _TEXT.map(str.encode),
    _NESTED.map(str.encode),
    st.binary(max_size=300),
    st.text(max_size=12000).map(str.encode),
)


def nested(operator: bytes, depth: int) -> bytes:
    """A well-formed expression ``depth`` levels deep: parsed, it would be evaluated."""
    expression = b"eq(status,Enabled)"
    for _ in range(depth):
        second = b"" if operator == b"not" else b",ne(status,Gone)"
        expression = operator + b"(" + expression + second + b")"
    return expression


@pytest.fixture
async def populated(env: Env) -> Env:
    await env.create()
    await env.create(type="ValidateChangeOrderDraft", status="Disabled")
    await env.validate(purchase_order())
    return env


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES)
@example(query=b"refresh=%C2%B2")
@example(query=b"refresh=" + b"9" * 5000)
@example(query=b"limit=%D9%A5&offset=" + b"9" * 5000)
@example(query=nested(b"and", 400))
@example(query=nested(b"not", 1200))
@example(query=b"eq(type,\xff)")
async def test_arbitrary_query_strings_never_answer_5xx(populated: Env, query: bytes) -> None:
    webhook_id = populated.sim.store.webhooks()[0].id
    paths = ["/", "/healthz", WEBHOOKS, f"{WEBHOOKS}/{webhook_id}", "/public/v1/commerce/orders/x"]

    for path in paths:
        status, headers, body = await raw_get(populated.sim, path, query)

        assert status < 500, (path, query, body[:300])
        if status >= 400:
            assert headers[b"content-type"] == b"application/problem+json", (path, query)
            problem: dict[str, Any] = json.loads(body)
            assert problem["status"] == status
            assert len(problem["detail"]) < 1000, (path, query)


@pytest.mark.parametrize("query", ["limit=x", "select=%FF&limit=99999"])
async def test_a_bad_query_on_create_creates_nothing(env: Env, query: str) -> None:
    body = {
        "type": "ValidatePurchaseOrderDraft",
        "url": "https://vendor.example/",
        "criteria": {"product.id": "PRD-1111-1111"},
    }
    response = await env.api.post(f"{WEBHOOKS}?{query}", json=body)

    assert response.status_code == 400, response.text
    assert env.sim.store.webhooks() == []


async def test_a_bad_query_on_update_changes_nothing(env: Env) -> None:
    webhook = await env.create(description="before")

    response = await env.api.put(
        f"{WEBHOOKS}/{webhook['id']}?limit=x", json={"description": "after"}
    )

    assert response.status_code == 400, response.text
    assert (await env.get(webhook["id"]))["description"] == "before"


async def test_validate_answers_a_bad_webhook_type_without_echoing_all_of_it(env: Env) -> None:
    response = await env.api.post(
        VALIDATE, params={"webhookType": "x" * 5000}, json=purchase_order()
    )

    assert response.status_code == 400
    assert len(response.json()["detail"]) < 600
