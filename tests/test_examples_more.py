"""The examples select_lines, rotation, product_secrets and slow_upstream do what their READMEs
say.

Each class is one example and reads like that example's own test suite. SelectOrderLines and
the slow upstream use the pytest plugin: the class overrides ``receiver_app`` and calls with the
``platform`` fixture. The two secret examples are about which secret signs a call, so they call
with :class:`PlatformClient` and the example's own webhook ids and secrets. Fakes of the
platform API and of a CRM are small Starlette apps served by uvicorn on a loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from receiver import ConfigurationError, Receiver
from receiver.testing import PlatformClient, bind_platform, samples

BOUND = 15.0  # seconds any server start or stop may take at most


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            timeout_graceful_shutdown=1,  # a request still sleeping is cut short at the end
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + BOUND
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, f"uvicorn did not start within {BOUND}s"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(BOUND)
        sock.close()
        assert not thread.is_alive(), f"uvicorn did not stop within {BOUND}s"


def fresh(module: str) -> Any:
    """Import an example anew: a receiver takes no handlers after its first call."""
    return importlib.reload(importlib.import_module(module))


# -- select_lines -----------------------------------------------------------------------------


class TestSelectLines:
    """examples/select_lines: the add-on line is added, raised, or refused."""

    @pytest.fixture
    def receiver_app(self) -> Receiver:
        app: Receiver = fresh("examples.select_lines.app").app
        return app

    def test_acme_pro_gets_one_add_on_per_10_seats(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(lines=[{"item_id": "ITM-1111-1111-0001", "quantity": 25}])

        result = platform.call("SelectOrderLines", order)

        assert result.accepted
        assert result.changes.made == ["line (new) ITM-1111-1111-0002: added, quantity 3"]
        assert result.json["lines"][-1] == {"item": {"id": "ITM-1111-1111-0002"}, "quantity": 3}

    def test_a_short_add_on_line_is_raised(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(
            lines=[
                {"item_id": "ITM-1111-1111-0001", "quantity": 25},
                {"item_id": "ITM-1111-1111-0002", "quantity": 1},
            ]
        )
        addon_line = order["lines"][1]["id"]

        result = platform.call("SelectOrderLines", order)

        assert result.accepted
        assert result.changes.made == [f"line {addon_line}: quantity 1 -> 3"]

    def test_enough_add_ons_change_nothing(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(
            lines=[
                {"item_id": "ITM-1111-1111-0001", "quantity": 10},
                {"item_id": "ITM-1111-1111-0002", "quantity": 1},
            ]
        )

        result = platform.call("SelectOrderLines", order)

        assert result.accepted
        assert result.changes.made == []

    def test_the_add_on_alone_is_refused(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(lines=[{"item_id": "ITM-1111-1111-0002", "quantity": 2}])

        result = platform.call("SelectOrderLines", order)

        assert result.refused
        assert result.error == {
            "id": "ACME050",
            "message": "The storage add-on can only be bought with Acme Pro.",
        }


# -- rotation ---------------------------------------------------------------------------------


class TestRotation:
    """examples/rotation: during the rotation window the old and the new secret both work."""

    @pytest.fixture
    def rotation(self, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.delenv("RECEIVER_SECRETS", raising=False)
        return fresh("examples.rotation.app")

    def call_signed_with(self, rotation: Any, secret: str) -> Any:
        platform = PlatformClient(rotation.app, secret=secret, webhook_id=rotation.WEBHOOK_ID)
        return platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

    def test_the_old_secret_still_works(self, rotation: Any) -> None:
        assert self.call_signed_with(rotation, rotation.OLD_SECRET).accepted

    def test_the_new_secret_already_works(self, rotation: Any) -> None:
        assert self.call_signed_with(rotation, rotation.NEW_SECRET).accepted

    def test_any_other_secret_is_refused(self, rotation: Any) -> None:
        result = self.call_signed_with(rotation, "a-third-secret-a-third-secret-000003")

        assert result.status == 401
        assert result.reason == "bad_signature"

    def test_the_window_can_come_from_receiver_secrets(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old, new = "old-from-env-old-from-env-01", "new-from-env-new-from-env-02"
        monkeypatch.setenv("RECEIVER_SECRETS", json.dumps({"WBH-3000-0001": [old, new]}))
        rotation = fresh("examples.rotation.app")

        assert self.call_signed_with(rotation, old).accepted
        assert self.call_signed_with(rotation, new).accepted
        assert self.call_signed_with(rotation, rotation.OLD_SECRET).reason == "bad_signature"


# -- product_secrets --------------------------------------------------------------------------

PRODUCT_SECRET = "product-secret-product-secret-0001"
API_TOKEN = "idt:TKN-1111-1111:fake-api-token"


class FakePlatformAPI:
    """The one endpoint of the platform's Webhook API that ProductSecrets uses, and a record of
    the webhook ids it was asked about."""

    def __init__(self, webhooks: dict[str, str]) -> None:
        self.webhooks = webhooks  # webhook id -> the product in its criteria
        self.asked: list[str] = []
        route = "/public/v1/notifications/webhooks/{webhook_id}"
        self.app = Starlette(routes=[Route(route, self.webhook)])

    async def webhook(self, request: Request) -> JSONResponse:
        webhook_id = request.path_params["webhook_id"]
        self.asked.append(webhook_id)
        if request.headers.get("authorization") != f"Bearer {API_TOKEN}":
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        assert request.query_params.get("select") == "criteria"
        product_id = self.webhooks.get(webhook_id)
        if product_id is None:
            return JSONResponse({"message": f"{webhook_id} not found"}, status_code=404)
        return JSONResponse({"id": webhook_id, "criteria": {"product.id": product_id}})


@pytest.mark.slow
class TestProductSecrets:
    """examples/product_secrets: a webhook's product comes from the platform API, its secret
    from EXT_WEBHOOKS_SECRETS."""

    @pytest.fixture
    def platform_api(self) -> Iterator[tuple[FakePlatformAPI, str]]:
        api = FakePlatformAPI({"WBH-5000-0001": "PRD-1111-1111", "WBH-5000-0002": "PRD-2222-2222"})
        with serving(api.app) as url:
            yield api, url

    @pytest.fixture
    def app(
        self, platform_api: tuple[FakePlatformAPI, str], monkeypatch: pytest.MonkeyPatch
    ) -> Receiver:
        monkeypatch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({"PRD-1111-1111": PRODUCT_SECRET}))
        monkeypatch.setenv("MPT_API_BASE_URL", platform_api[1])
        monkeypatch.setenv("MPT_API_TOKEN", API_TOKEN)
        app: Receiver = fresh("examples.product_secrets.app").create_app()
        return app

    def test_a_webhook_is_checked_with_its_products_secret(
        self, app: Receiver, platform_api: tuple[FakePlatformAPI, str]
    ) -> None:
        platform = PlatformClient(app, secret=PRODUCT_SECRET, webhook_id="WBH-5000-0001")

        first = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())
        second = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert first.accepted
        assert second.accepted
        assert platform_api[0].asked == ["WBH-5000-0001"]  # once: the answer is cached

    def test_a_webhook_of_a_product_without_a_secret_is_refused(self, app: Receiver) -> None:
        platform = PlatformClient(app, secret=PRODUCT_SECRET, webhook_id="WBH-5000-0002")

        result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.status == 401
        assert result.reason == "unknown_webhook"

    def test_a_webhook_the_platform_does_not_know_is_refused(self, app: Receiver) -> None:
        platform = PlatformClient(app, secret=PRODUCT_SECRET, webhook_id="WBH-5000-0404")

        result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.status == 401
        assert result.reason == "unknown_webhook"

    def test_a_token_signed_with_another_secret_is_refused(self, app: Receiver) -> None:
        platform = PlatformClient(
            app, secret="not-the-product-secret-not-the-01", webhook_id="WBH-5000-0001"
        )

        result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.status == 401
        assert result.reason == "bad_signature"


# -- slow_upstream ----------------------------------------------------------------------------


class FakeCRM:
    """The vendor's CRM: ``GET /customers?name=...`` -> ``{"status": "active" | "blocked"}``,
    after ``delay`` seconds."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.blocked = {"Blocked Corp"}
        self.app = Starlette(routes=[Route("/customers", self.customer)])

    async def customer(self, request: Request) -> JSONResponse:
        await asyncio.sleep(self.delay)
        name = request.query_params.get("name", "")
        return JSONResponse({"status": "blocked" if name in self.blocked else "active"})


class TestSlowUpstream:
    """examples/slow_upstream: a slow CRM gets the buyer a "try again" error, in time."""

    DEADLINE = 0.5  # the example's 2 s, shortened for the test

    @pytest.fixture
    def crm(self) -> Iterator[tuple[FakeCRM, str]]:
        crm = FakeCRM()
        with serving(crm.app) as url:
            yield crm, url

    @pytest.fixture
    def receiver_app(self, crm: tuple[FakeCRM, str]) -> Receiver:
        app: Receiver = fresh("examples.slow_upstream.app").create_app(
            crm[1], deadline=self.DEADLINE
        )
        return app

    @pytest.mark.slow
    def test_an_active_customer_is_accepted(self, platform: PlatformClient) -> None:
        result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.accepted

    @pytest.mark.slow
    def test_a_blocked_customer_is_refused(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(parameters={"companyName": "Blocked Corp"})

        result = platform.call("ValidatePurchaseOrderDraft", order)

        assert result.parameter_error("companyName") == {
            "id": "ACME060",
            "message": "This company cannot buy Acme products; contact sales.",
        }

    @pytest.mark.slow
    def test_a_slow_crm_gets_the_reject_answer_on_time(
        self, platform: PlatformClient, crm: tuple[FakeCRM, str]
    ) -> None:
        crm[0].delay = 5.0

        result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.status == 200
        assert result.error == {
            "id": "RCV-VALIDATION-FAILED",
            "message": "We could not check your company just now. Please try again in a minute.",
        }
        assert self.DEADLINE <= result.duration < self.DEADLINE + 1.0

    def test_a_crm_that_is_down_gets_the_reject_answer_too(self) -> None:
        with socket.socket() as closed:  # bound, never listening: connections are refused
            closed.bind(("127.0.0.1", 0))
            crm_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
            app = fresh("examples.slow_upstream.app").create_app(crm_url)
            with bind_platform(app) as platform:  # what the `platform` fixture does
                result = platform.call("ValidatePurchaseOrderDraft", samples.purchase_order())

        assert result.error is not None
        assert result.error["id"] == "RCV-VALIDATION-FAILED"

    def test_the_crm_address_is_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("CRM_URL", raising=False)
        with pytest.raises(ConfigurationError, match="Set CRM_URL"):
            fresh("examples.slow_upstream.app").create_app()
