"""Fixtures for the simulator tests: a simulator wired to a vendor app in-process, an
authenticated API client and realistic orders; the OpenAPI checks are in ``schema.py``."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from receiver import Order, Receiver
from receiver.simulator import Simulator, create_simulator

TOKEN = "simulator-test-token-0123456789"
SECRET = "vendor-secret-vendor-secret-vendor-01"
VENDOR_URL = "https://vendor.example/"
PRODUCT = "PRD-1111-1111"
WEBHOOKS = "/public/v1/notifications/webhooks"
VALIDATE = "/public/v1/commerce/orders/validate"
# The simulator answers loopback Host names only (DNS rebinding); so the tests call it there.
BASE_URL = "http://127.0.0.1:8090"

Asgi = Any  # an ASGI app (Receiver's __call__ is typed with plain dicts)


class AnyWebhook:
    """A vendor secret source that knows every webhook (the tests create them as they go)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret.encode()

    async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
        return (self.secret,)

    def known_webhook_ids(self) -> frozenset[str] | None:
        return None


def make_vendor() -> Receiver:
    """A vendor with one handler per order type, driven by the order's ``notes``."""
    vendor = Receiver(secrets=AnyWebhook())

    @vendor.validate_purchase_order_draft
    async def purchase(order: Order) -> Order:
        return _behave(order)

    @vendor.validate_change_order_draft
    async def change(order: Order) -> Order:
        return order.set_error("VND002", "Change orders are not supported.")

    @vendor.validate_purchase_order_querying
    async def querying(order: Order) -> Order:
        return order

    return vendor


def _behave(order: Order) -> Order:
    notes = order.notes or ""
    if "refuse-parameter" in notes:
        order.parameter("companyName").set_error("VND001", "Company name is required.")
    if "refuse-order" in notes:
        order.set_error("VND003", "No.")
    if "reprice" in notes:
        for line in order.all_lines():
            if isinstance(line.id, str):
                order.set_line_price(line.id, unit_pp=93.17)
    if "add-line" in notes:
        order.add_line("ITM-1111-1111-0002", 1)
    return order


def purchase_order(notes: str = "", *, product: str = PRODUCT, **fields: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": "ORD-3156-8071-4437",
        "type": "Purchase",
        "status": "Draft",
        "notes": notes,
        "product": {"id": product, "name": "Acme Cloud Suite"},
        "lines": [
            {
                "id": "ALI-3156-8071-4437-0001",
                "item": {"id": "ITM-1111-1111-0001", "name": "Acme Pro (1 year)"},
                "oldQuantity": 0,
                "quantity": 5,
                "price": {"currency": "USD", "unitPP": 100.0},
            }
        ],
        "parameters": {
            "ordering": [
                {
                    "id": "PAR-1111-1111-0001",
                    "externalId": "companyName",
                    "type": "SingleLineText",
                    "constraints": {"hidden": True, "required": False, "readonly": False},
                    "value": "Contoso Ltd",
                }
            ],
            "fulfillment": [],
        },
        "someFutureField": {"kept": [1, 2.5, "x", None]},
    }
    order.update(fields)
    return copy.deepcopy(order)


@dataclass
class Env:
    """A simulator whose calls reach ``vendor`` in-process, and a client of its API."""

    sim: Simulator
    api: httpx.AsyncClient

    async def create(self, expect: int = 201, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "ValidatePurchaseOrderDraft",
            "url": VENDOR_URL,
            "secret": SECRET,
            "criteria": {"product.id": PRODUCT},
        }
        body.update(fields)
        body = {name: value for name, value in body.items() if value is not ...}
        response = await self.api.post(WEBHOOKS, json=body)
        assert response.status_code == expect, response.text
        data: dict[str, Any] = response.json()
        return data

    async def get(self, webhook_id: str) -> dict[str, Any]:
        response = await self.api.get(
            f"{WEBHOOKS}/{webhook_id}",
            params={"select": "+statistics,+lastCall,+lastSuccess,+lastFailure"},
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def validate(self, order: dict[str, Any], **params: str) -> httpx.Response:
        return await self.api.post(VALIDATE, json=order, params=params)


@asynccontextmanager
async def simulated(vendor: Asgi | None = None, **options: Any) -> AsyncIterator[Env]:
    """A simulator calling ``vendor`` (default: :func:`make_vendor`) through httpx's ASGI
    transport, with an API client; both closed at the end."""
    app: Any = vendor if vendor is not None else make_vendor()
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport)
    options.setdefault("token", TOKEN)
    options.setdefault("http_client", client)
    sim = create_simulator(**options)
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    try:
        yield Env(sim, api)
    finally:
        await api.aclose()
        await client.aclose()
        await sim.aclose()


async def raw_get(
    app: Asgi,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, dict[bytes, bytes], bytes]:
    """``GET path?query`` straight through ASGI, bytes as given (httpx would percent-encode
    them and always send a Host); ``headers`` default to a loopback Host and the API token.
    Returns the status, the headers (lowercase names) and the body."""
    if headers is None:
        headers = [(b"host", b"127.0.0.1:8090"), (b"authorization", f"Bearer {TOKEN}".encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 8090),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], dict(start["headers"]), body


@pytest.fixture
def sqlite_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[sqlite3.Connection]]:
    """Every SQLite connection opened during the test, to check that each one was closed.

    Python 3.13 warns about a connection collected unclosed, but only when the collector gets
    to it (often in a later test) and never on 3.11 or 3.12: this finds a leak on every version,
    in the test that made it.
    """
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    yield opened
    for conn in opened:  # a leak is the test's failure, not a warning in some later test
        conn.close()


def still_open(connections: list[sqlite3.Connection]) -> list[sqlite3.Connection]:
    """The connections not closed yet."""
    left = []
    for conn in connections:
        try:
            conn.total_changes  # noqa: B018 (the closed check: it raises once closed)
        except sqlite3.ProgrammingError:
            continue
        left.append(conn)
    return left


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with simulated() as environment:
        yield environment
