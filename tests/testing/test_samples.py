"""receiver.testing.samples: realistic, fresh, reproducible payloads that parse and round-trip."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from receiver.errors import UnknownWebhookTypeError
from receiver.resolution import infer_webhook_types
from receiver.testing import samples
from receiver.testing.samples import SampleError
from receiver.types import KNOWN_WEBHOOK_TYPES, VALIDATE_ANSWER

FACTORIES = [
    samples.order,
    samples.purchase_order,
    samples.change_order,
    samples.termination_order,
    samples.configuration_order,
    samples.account,
    samples.request,
    samples.enrollment,
    samples.answer,
]


def test_the_names_are_stable() -> None:
    # Published names (the CLI lists them): add new ones, never rename or remove.
    assert samples.NAMES == (
        "purchase-order",
        "purchase-order-minimal",
        "purchase-order-querying",
        "change-order",
        "termination-order",
        "configuration-order",
        "select-order-lines",
        "account",
        "request",
        "request-openapi",
        "enrollment",
        "enrollment-querying",
        "re-enrollment",
        "re-enrollment-querying",
        "answer",
    )
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in samples.NAMES)


@pytest.mark.parametrize("name", samples.NAMES)
def test_each_named_sample_parses_and_round_trips(name: str) -> None:
    data = samples.get(name)
    model = samples.model_for(name)

    obj = model.from_dict(data)

    assert obj.to_dict() == data
    assert json.loads(obj.to_json()) == data
    assert json.loads(json.dumps(data)) == data  # plain JSON, nothing Python-only


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_each_factory_is_fresh_reproducible_and_independent(factory: Any) -> None:
    first, second = factory(), factory()
    assert first["id"] != second["id"]  # fresh ids: 9000**2 possibilities at least
    assert factory(seed=42) == factory(seed=42)
    assert factory(seed="a") != factory(seed="b")

    first_copy = json.loads(json.dumps(first))
    for value in first.values():  # mutate everything nested in the first...
        if isinstance(value, dict):
            value.clear()
        elif isinstance(value, list):
            value.append("x")
    third = factory(seed=42)
    assert third == factory(seed=42)  # ...and nothing leaks into later samples
    assert json.loads(json.dumps(factory(seed=42))) == third
    assert first_copy["id"] == first["id"]


@pytest.mark.parametrize("webhook_type", KNOWN_WEBHOOK_TYPES)
def test_for_type_gives_a_body_the_receiver_would_route_to_that_type(webhook_type: str) -> None:
    body = samples.for_type(webhook_type)
    lower = webhook_type[0].lower() + webhook_type[1:]
    assert samples.for_type(lower, seed=1) == samples.for_type(webhook_type, seed=1)
    kind, possible = infer_webhook_types(body)
    if webhook_type == VALIDATE_ANSWER:
        assert kind is None  # undocumented body: only the URL path names its type
    else:
        assert webhook_type in possible


def test_for_type_refuses_an_unknown_type() -> None:
    with pytest.raises(UnknownWebhookTypeError, match="ValidatePurchaseOrderDraft"):
        samples.for_type("ValidatePurchaseOrderDraftt")


def test_ids_look_like_the_platforms() -> None:
    order = samples.purchase_order()
    digits = order["id"].removeprefix("ORD-")
    assert re.fullmatch(r"ORD-\d{4}-\d{4}-\d{4}", order["id"])
    assert order["agreement"]["id"] == f"AGR-{digits}"  # a Purchase creates its agreement
    assert order["lines"][0]["id"] == f"ALI-{digits}-0001"

    change = samples.change_order()
    agreement = change["agreement"]["id"].removeprefix("AGR-")
    assert agreement != change["id"].removeprefix("ORD-")
    assert change["lines"][0]["id"] == f"ALI-{agreement}-0001"
    assert re.fullmatch(r"SUB-\d{4}-\d{4}-\d{4}", change["lines"][0]["subscription"]["id"])
    assert re.fullmatch(r"ACC-\d{4}-\d{4}", samples.account()["id"])
    assert re.fullmatch(r"REQ-\d{4}-\d{4}", samples.request()["id"])
    assert re.fullmatch(r"ENR-\d{4}-\d{4}", samples.enrollment()["id"])


def test_order_types_have_their_lines() -> None:
    def quantities(order: dict[str, Any]) -> list[tuple[Any, Any]]:
        return [(line["oldQuantity"], line["quantity"]) for line in order["lines"]]

    assert quantities(samples.purchase_order()) == [(0, 5)]
    assert quantities(samples.change_order()) == [(10, 15), (0, 1)]
    assert quantities(samples.termination_order()) == [(10, 0)]
    assert quantities(samples.configuration_order()) == [(10, 10)]
    assert "price" not in samples.termination_order()
    purchase = samples.purchase_order()
    assert purchase["price"] == {"currency": "USD", "PPxY": 500.0, "PPxM": 41.66667}
    assert purchase["lines"][0]["price"]["PPxY"] == 500.0


def test_minimal_is_the_short_body() -> None:
    order = samples.purchase_order(minimal=True)
    assert sorted(order) == ["agreement", "id", "lines", "parameters", "product", "status", "type"]
    assert "id" not in order["lines"][0]  # an unsaved purchase line
    assert order["lines"][0]["price"] == {"currency": "USD", "unitPP": 100.0}
    assert samples.get("purchase-order-minimal", lines=[{"quantity": 2}])["lines"][0]["id"]


def test_status_and_type_arguments() -> None:
    assert samples.purchase_order("Querying")["status"] == "Querying"
    assert samples.get("purchase_order_querying")["status"] == "Querying"
    assert samples.order("Change")["type"] == "Change"
    assert samples.get("re-enrollment-querying")["type"] == "Change"


# --- lines -------------------------------------------------------------------------------------


def test_short_form_lines_follow_the_order_type() -> None:
    purchase = samples.purchase_order(
        seed=1, lines=[{"item_id": "ITM-1111-1111-0002", "quantity": 3}, {"unit_pp": 7}]
    )
    first, second = purchase["lines"]
    assert first["id"].endswith("-0001")
    assert second["id"].endswith("-0002")
    assert first["item"]["name"] == "Acme Storage add-on"
    assert first["price"] == {"currency": "USD", "unitPP": 20.0, "PPxY": 60.0, "PPxM": 5.0}
    assert second["price"]["unitPP"] == 7.0
    assert second["quantity"] == 1

    change = samples.change_order(
        lines=[
            {"item_id": "ITM-1111-1111-0001", "old_quantity": 10, "quantity": 8},
            {"item_id": "ITM-9999-9999-0001", "quantity": 2},
            {"id": "ALI-1111-2222-3333-0009", "subscription_id": "SUB-1-2-3", "quantity": 4},
        ]
    )
    existing, new, named = change["lines"]
    assert "id" in existing
    assert existing["subscription"]["status"] == "Active"
    assert "id" not in new
    assert "subscription" not in new
    assert new["oldQuantity"] == 0
    assert new["item"] == {"id": "ITM-9999-9999-0001"}
    assert "price" not in new
    assert named["id"] == "ALI-1111-2222-3333-0009"
    assert named["subscription"]["id"] == "SUB-1-2-3"

    termination = samples.termination_order(lines=[{"old_quantity": 3}])["lines"][0]
    assert (termination["oldQuantity"], termination["quantity"]) == (3, 0)
    configuration = samples.configuration_order(lines=[{"quantity": 4}])["lines"][0]
    assert (configuration["oldQuantity"], configuration["quantity"]) == (4, 4)
    priced = samples.termination_order(lines=[{"unit_pp": -100.0}])["lines"][0]
    assert priced["price"]["unitPP"] == -100.0


def test_wire_lines_are_used_as_given() -> None:
    line = {"id": "ALI-1", "item": {"id": "ITM-1"}, "quantity": 1}
    order = samples.purchase_order(lines=[line])
    assert order["lines"] == [line]
    assert order["lines"][0] is not line
    assert "price" not in order  # no priced lines, no summary


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"item_id": "ITM-1", "price": {}}, "mixes wire keys and short-form keys"),
        ({"item_id": "ITM-1", "colour": "red"}, "neither the short form"),
        ("ITM-1", "must be a dict"),
    ],
)
def test_bad_lines_are_explained(line: Any, message: str) -> None:
    with pytest.raises(SampleError, match=message):
        samples.purchase_order(lines=[line])


def test_request_shapes() -> None:
    assert isinstance(samples.request()["parameters"], dict)
    assert isinstance(samples.get("request-openapi")["parameters"], list)
    with pytest.raises(SampleError, match="documented' or 'openapi"):
        samples.request(shape="swagger")


def test_lookup_by_name() -> None:
    assert samples.info("Change_Order").webhook_type == "ValidateChangeOrderDraft"
    assert samples.info("select-order-lines").description
    assert samples.get("account", name="Contoso")["name"] == "Contoso"
    with pytest.raises(KeyError, match=r"No sample named 'nope'\. Named samples: purchase-order"):
        samples.get("nope")
