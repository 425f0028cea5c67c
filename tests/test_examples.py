"""Every example in examples/ runs and behaves as its README paragraph says."""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import load_fixture, post, pyjwt_token

pytestmark = pytest.mark.anyio


def fresh(module: str) -> ModuleType:
    """Import the example anew: a receiver closes registration after its first call."""
    return importlib.reload(importlib.import_module(module))


def purchase(company: str = "Contoso Ltd") -> dict[str, Any]:
    order = load_fixture("order_purchase_full.json")
    for parameter in order["parameters"]["ordering"]:
        if parameter["externalId"] == "companyName":
            parameter["value"] = company
    return order


@pytest.fixture
def minimal(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    secret = "minimal-secret-minimal-secret-000001"
    monkeypatch.setenv("RECEIVER_SECRETS", json.dumps({"WBH-0000-0001": secret}))
    module = fresh("examples.minimal.app")
    module.token = pyjwt_token(secret=secret, webhook_id="WBH-0000-0001")  # type: ignore[attr-defined]
    return module


async def test_minimal_accepts_a_complete_order(minimal: Any) -> None:
    response = await post(minimal.app, purchase(), token=minimal.token)
    assert response.status_code == 200
    assert response.json()["parameters"]["ordering"][0].get("error") is None


async def test_minimal_refuses_a_missing_company_name(minimal: Any) -> None:
    response = await post(minimal.app, purchase(company=""), token=minimal.token)
    company = response.json()["parameters"]["ordering"][0]
    assert company["error"] == {"id": "ACME001", "message": "Company name is required."}
    assert company["constraints"]["hidden"] is False


def shared_token(n: int) -> str:
    secrets = {
        1: "purchase-secret-purchase-secret-0001",
        2: "change-secret-change-secret-change-02",
        3: "terminate-secret-terminate-secret-03",
        4: "select-secret-select-secret-select-04",
    }
    return pyjwt_token(secret=secrets[n], webhook_id=f"WBH-1000-000{n}")


async def test_shared_url_routes_by_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
    app = fresh("examples.shared_url.app").app
    big = purchase()
    big["lines"][0]["quantity"] = 501
    refused = (await post(app, big, token=shared_token(1))).json()
    assert refused["error"]["id"] == "ACME010"

    change = load_fixture("order_change.json")
    change["lines"][0]["quantity"] = 1  # fewer seats than before
    assert (await post(app, change, token=shared_token(2))).json()["error"]["id"] == "ACME020"

    termination = load_fixture("order_termination.json")
    assert (await post(app, termination, token=shared_token(3))).status_code == 200

    # The same Purchase draft, sent by the SelectOrderLines webhook, gets the add-on line.
    lines = (await post(app, purchase(), token=shared_token(4))).json()["lines"]
    assert lines[-1] == {"item": {"id": "ITM-1111-1111-0002"}, "quantity": 1}


async def test_mounted_in_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
    app = fresh("examples.mounted.app").app
    token = pyjwt_token(secret="mounted-secret-mounted-secret-000001", webhook_id="WBH-2000-0001")
    for path in ("/mpt/", "/mpt/ValidatePurchaseOrderDraft"):
        response = await post(app, purchase(), token=token, path=path)
        assert response.status_code == 200, response.text
        assert response.json().get("error") is None
    other = purchase()
    other["product"]["id"] = "PRD-9999-9999"
    assert (await post(app, other, token=token, path="/mpt/")).json()["error"]["id"] == "ACME030"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://x") as c:
        assert (await c.get("/status")).json() == {"service": "acme", "status": "ok"}
