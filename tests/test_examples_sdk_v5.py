"""examples/sdk_v5_style: an SDK v5 endpoint moved to the receiver keeps its URL, its secret
settings and its answers; and docs/migrating-from-sdk-v5.md, which it illustrates, runs.

The platform is the simulator, served on a loopback port: it holds the webhooks (one secret per
product, as EXT_WEBHOOKS_SECRETS has it) and answers the Webhook API lookup the example makes to
find a webhook's product. Every answer is compared with what the SDK-style code in
``examples/sdk_v5_style/before.py`` returns for the same order.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from receiver.simulator import Simulator, create_simulator
from receiver.simulator._server import ServerThread
from receiver.testing import PlatformClient, samples, token_without
from tests.testing.test_plugin import PLUGIN

pytestmark = pytest.mark.slow
pytest_plugins = ["pytester"]

PRODUCT = "PRD-1111-1111"
PRODUCT_SECRET = "product-secret-product-secret-sdk-v5"
SDK_URL = "/api/v1/orders/validate"
WEBHOOKS = "/public/v1/notifications/webhooks"
VALIDATE = "/public/v1/commerce/orders/validate"
TYPES = ("ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft", "ValidateTerminateOrder")


def example(module: str) -> Any:
    return importlib.reload(importlib.import_module(f"examples.sdk_v5_style.{module}"))


@pytest.fixture(scope="module")
def simulator() -> Iterator[tuple[Simulator, str]]:
    sim = create_simulator(allow_http=True, call_timeout=5)
    with ServerThread(sim) as server:
        yield sim, server.url
    sim.close()


@pytest.fixture(scope="module")
def api(simulator: tuple[Simulator, str]) -> Iterator[httpx.Client]:
    sim, url = simulator
    headers = {"Authorization": f"Bearer {sim.token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        yield client


def make_app(simulator: tuple[Simulator, str]) -> Any:
    sim, url = simulator
    with pytest.MonkeyPatch.context() as patch:  # the settings an SDK v5 deployment has
        patch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({PRODUCT: PRODUCT_SECRET}))
        patch.setenv("MPT_API_BASE_URL", url)
        patch.setenv("MPT_API_TOKEN", sim.token)
        return example("app").create_app()


@pytest.fixture(scope="module")
def app(simulator: tuple[Simulator, str]) -> Any:
    """The example called in-process."""
    return make_app(simulator)


@pytest.fixture(scope="module")
def vendor_url(simulator: tuple[Simulator, str]) -> Iterator[str]:
    """Another instance of the example, served on a loopback port for the simulator to call."""
    with ServerThread(make_app(simulator)) as server:
        yield server.url


@pytest.fixture(scope="module")
def webhooks(api: httpx.Client, vendor_url: str) -> dict[str, str]:
    """The product's webhooks, all at the SDK's URL and with the product's secret: type -> id."""
    made = {}
    for webhook_type in TYPES:
        created = api.post(
            WEBHOOKS,
            json={
                "type": webhook_type,
                "url": vendor_url + SDK_URL,
                "criteria": {"product.id": PRODUCT},
                "secret": PRODUCT_SECRET,
                "description": "SDK v5 validation, now on the receiver",
            },
        )
        assert created.status_code == 201, created.text
        made[webhook_type] = created.json()["id"]
    return made


def with_parameters(order: dict[str, Any], **values: Any) -> dict[str, Any]:
    order = copy.deepcopy(order)
    for parameter in order["parameters"]["ordering"]:
        if parameter["externalId"] in values:
            parameter["value"] = values[parameter["externalId"]]
    return order


def shown(order: dict[str, Any], external_id: str) -> dict[str, Any]:
    """``order`` with a parameter left shown and required (by an earlier answer, say)."""
    order = copy.deepcopy(order)
    for parameter in order["parameters"]["ordering"]:
        if parameter["externalId"] == external_id:
            parameter["constraints"] = {"hidden": False, "required": True}
    return order


def repeated_line(order: dict[str, Any]) -> dict[str, Any]:
    order = copy.deepcopy(order)
    extra = copy.deepcopy(order["lines"][0])
    extra.pop("id", None)
    extra.update(oldQuantity=0, quantity=2)
    order["lines"].append(extra)
    return order


ORDERS = {
    "purchase-accepted": samples.purchase_order(seed=1),
    "purchase-short-company-name": with_parameters(
        samples.purchase_order(seed=2), companyName="Co"
    ),
    "purchase-migrating-customer": with_parameters(
        samples.purchase_order(seed=3), agreementType="Migrate", membershipId=""
    ),
    "purchase-new-customer": shown(samples.purchase_order(seed=9), "membershipId"),
    "purchase-repeated-item": repeated_line(samples.purchase_order(seed=4)),
    "purchase-old-errors-cleared": samples.purchase_order(
        seed=5, error={"id": "ACME102", "message": "An earlier refusal."}
    ),
    "change-accepted": samples.change_order(seed=6),
    "change-repeated-item": repeated_line(samples.change_order(seed=7)),
    "termination-accepted": samples.termination_order(seed=8),
}


def without_null_errors(order: dict[str, Any]) -> dict[str, Any]:
    """The SDK-style code writes ``"error": null`` everywhere, the receiver only where an error
    was: the platform reads both as no error."""
    order = copy.deepcopy(order)
    if order.get("error") is None:
        order.pop("error", None)
    for parameter in order.get("parameters", {}).get("ordering", []):
        if parameter.get("error") is None:
            parameter.pop("error", None)
    return order


@pytest.mark.parametrize("case", list(ORDERS))
def test_each_order_is_answered_as_the_sdk_style_code_answers_it(
    case: str, app: Any, webhooks: dict[str, str]
) -> None:
    order = ORDERS[case]
    webhook_type = TYPES[["Purchase", "Change", "Termination"].index(order["type"])]
    platform = PlatformClient(app, secret=PRODUCT_SECRET, webhook_id=webhooks[webhook_type])

    result = platform.call(webhook_type, order, path=SDK_URL)

    assert result.status == 200, result.text
    assert without_null_errors(result.json) == without_null_errors(
        example("before").validate_order(order)
    )


def test_the_refusals_are_the_ones_a_buyer_sees(app: Any, webhooks: dict[str, str]) -> None:
    platform = PlatformClient(
        app, secret=PRODUCT_SECRET, webhook_id=webhooks["ValidatePurchaseOrderDraft"]
    )

    short = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-short-company-name"])
    migrating = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-migrating-customer"])
    repeated = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-repeated-item"])
    new = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-accepted"])

    assert short.parameter_error("companyName") == {
        "id": "ACME101",
        "message": "The company name must be 4 to 80 characters long.",
    }
    assert short.parameter("companyName")["constraints"]["hidden"] is False
    assert migrating.accepted
    assert migrating.parameter("membershipId")["constraints"] == {"hidden": False, "required": True}
    assert new.parameter("membershipId")["constraints"] == {"hidden": True, "required": False}
    assert repeated.error == {
        "id": "ACME102",
        "message": "Put each item on one line; these have several: ITM-1111-1111-0001.",
    }


def test_the_platform_reaches_the_sdk_url_over_http(
    api: httpx.Client, webhooks: dict[str, str]
) -> None:
    accepted = api.post(VALIDATE, json=ORDERS["purchase-accepted"])
    refused = api.post(VALIDATE, json=ORDERS["change-repeated-item"])
    webhook = api.get(
        f"{WEBHOOKS}/{webhooks['ValidateChangeOrderDraft']}",
        params={"select": "+statistics,+lastCall"},
    ).json()

    assert accepted.headers["x-simulator-outcome"] == "accepted", accepted.text
    assert refused.headers["x-simulator-outcome"] == "refused", refused.text
    assert refused.json()["error"]["id"] == "ACME102"
    assert webhook["lastCall"]["httpStatusCode"] == "OK"
    assert webhook["statistics"]["failures"] == 0


@pytest.mark.parametrize("path", [SDK_URL, SDK_URL + "/", SDK_URL + "/ValidatePurchaseOrderDraft"])
def test_the_sdk_url_answers_with_or_without_a_slash_and_per_type(
    path: str, app: Any, webhooks: dict[str, str]
) -> None:
    platform = PlatformClient(
        app, secret=PRODUCT_SECRET, webhook_id=webhooks["ValidatePurchaseOrderDraft"]
    )

    result = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-accepted"], path=path)

    assert result.accepted, result.text


def test_other_paths_reach_the_receiver_unchanged(app: Any, vendor_url: str) -> None:
    assert httpx.get(vendor_url + "/healthz").json() == {"status": "ok"}
    assert httpx.post(vendor_url + "/api/v1/orders").status_code == 404


def test_a_webhook_of_a_product_without_a_secret_is_refused(api: httpx.Client, app: Any) -> None:
    other = api.post(
        WEBHOOKS,
        json={
            "type": "ValidatePurchaseOrderDraft",
            "url": "http://127.0.0.1:9" + SDK_URL,
            "criteria": {"product.id": "PRD-2222-2222"},
            "secret": PRODUCT_SECRET,
        },
    ).json()
    platform = PlatformClient(app, secret=PRODUCT_SECRET, webhook_id=other["id"])

    result = platform.call("ValidatePurchaseOrderDraft", ORDERS["purchase-accepted"], path=SDK_URL)

    # The SDK's callback raised a KeyError here: a 500.
    assert (result.status, result.reason) == (401, "unknown_webhook")


def test_a_token_without_exp_is_refused(app: Any, webhooks: dict[str, str]) -> None:
    platform = PlatformClient(
        app, secret=PRODUCT_SECRET, webhook_id=webhooks["ValidatePurchaseOrderDraft"]
    )

    # PyJWT's defaults in the SDK require no claim: this token was good forever there.
    result = platform.call(
        "ValidatePurchaseOrderDraft", path=SDK_URL, token=platform.token(token_without, "exp")
    )

    assert (result.status, result.reason) == (401, "missing_claim")


class TestWithThePytestPlugin:
    """The Django test client tests of an SDK extension, as the guide writes them: the plugin
    signs with a test webhook it wires into the app, so nothing is mocked."""

    @pytest.fixture
    def receiver_app(self, monkeypatch: pytest.MonkeyPatch) -> Any:
        monkeypatch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({PRODUCT: PRODUCT_SECRET}))
        monkeypatch.setenv("MPT_API_BASE_URL", "https://api.platform.example")  # never called
        monkeypatch.setenv("MPT_API_TOKEN", "not-used-by-these-tests")
        return example("app").create_app()

    def test_a_short_company_name_is_refused(self, platform: PlatformClient) -> None:
        order = samples.purchase_order(parameters={"companyName": "Co"})

        result = platform.call("ValidatePurchaseOrderDraft", order, path=SDK_URL)

        assert result.refused
        assert result.parameter_error("companyName") == {
            "id": "ACME101",
            "message": "The company name must be 4 to 80 characters long.",
        }

    def test_a_termination_with_one_line_per_item_is_accepted(
        self, platform: PlatformClient
    ) -> None:
        result = platform.call("ValidateTerminateOrder", samples.termination_order(), path=SDK_URL)

        assert result.accepted
        assert result.changes.made == []


# -- the guide --------------------------------------------------------------------------------

GUIDE = Path(__file__).parent.parent / "docs" / "migrating-from-sdk-v5.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", GUIDE.read_text(), re.M | re.S)
TEST_FILES = [code for code in BLOCKS if code.startswith("# test_")]
SNIPPETS = [code for code in BLOCKS if not code.startswith("# test_")]


def test_the_guide_has_its_examples() -> None:
    assert len(TEST_FILES) == 1
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize(
    "code", [pytest.param(code, id=f"snippet-{number}") for number, code in enumerate(SNIPPETS, 1)]
)
def test_guide_snippet_runs(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXT_WEBHOOKS_SECRETS", json.dumps({PRODUCT: PRODUCT_SECRET}))
    exec(compile(code, str(GUIDE), "exec"), {"__name__": "docs_example"})  # noqa: S102


def test_the_guides_test_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_validate=TEST_FILES[0])

    result = pytester.runpytest(*PLUGIN)

    result.assert_outcomes(passed=1)
