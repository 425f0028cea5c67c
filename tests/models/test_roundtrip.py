"""Round trip, the most important property: an untouched object dumps to what came in.

Equal as JSON *and* type for type (``"5"`` stays a string, ``100.0`` a float, ``100`` an int),
absent keys stay absent, unknown keys at every level survive.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receiver.models import (
    Account,
    Enrollment,
    ObjectModel,
    Order,
    Request,
    ValidateAnswer,
    Webhook,
)

from .helpers import assert_same_json, fixture, fixture_bytes
from .strategies import top_level_objects

FIXTURES = [
    pytest.param("order_purchase_minimal", Order, id="2.5-minimal-purchase"),
    pytest.param("order_purchase_full", Order, id="2.6-full-purchase"),
    pytest.param("order_change", Order, id="2.7-change"),
    pytest.param("order_termination", Order, id="2.7-termination"),
    pytest.param("order_configuration", Order, id="2.7-configuration"),
    pytest.param("answer_a_accept", Order, id="3.3a-accept"),
    pytest.param("answer_b_reject_order", Order, id="3.3b-reject-order"),
    pytest.param("answer_c_reject_parameter", Order, id="3.3c-reject-parameter"),
    pytest.param("answer_d_show_hide", Order, id="3.3d-show-hide"),
    pytest.param("answer_e_reprice", Order, id="3.3e-reprice"),
    pytest.param("account", Account, id="2.8-account"),
    pytest.param("request_documented", Request, id="2.9-request-documented"),
    pytest.param("request_openapi", Request, id="2.9-request-openapi"),
    pytest.param("enrollment", Enrollment, id="2.11-enrollment"),
    pytest.param("webhook", Webhook, id="4.3-webhook"),
]

TOP_LEVEL = [
    pytest.param(Order, id="order"),
    pytest.param(Account, id="account"),
    pytest.param(Request, id="request"),
    pytest.param(Enrollment, id="enrollment"),
    pytest.param(ValidateAnswer, id="answer"),
]


@pytest.mark.parametrize(("name", "model"), FIXTURES)
def test_fixture_round_trips_through_json(name: str, model: type[Webhook | ObjectModel]) -> None:
    dumped = model.from_json(fixture_bytes(name)).to_json()

    assert isinstance(dumped, bytes)
    assert_same_json(fixture(name), json.loads(dumped))


@pytest.mark.parametrize(("name", "model"), FIXTURES)
def test_fixture_round_trips_through_dict(name: str, model: type[Webhook | ObjectModel]) -> None:
    obj = model.from_dict(fixture(name))

    assert_same_json(fixture(name), obj.to_dict())
    assert_same_json(fixture(name), obj.raw)


@pytest.mark.parametrize(("name", "model"), FIXTURES)
def test_fixture_parses_from_str_too(name: str, model: type[Webhook | ObjectModel]) -> None:
    text = fixture_bytes(name).decode()

    assert model.from_json(text).to_dict() == model.from_json(text.encode()).to_dict()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"id": "O", "lines": [{"quantity": "5"}]}, id="str-int"),
        pytest.param({"id": "O", "lines": [{"quantity": 5.0}]}, id="float-int"),
        pytest.param({"id": "O", "price": {"PPxY": 500}}, id="int-float"),
        pytest.param({"id": "O", "price": {"PPxY": 500.0}}, id="float-float"),
        pytest.param({"id": "O", "price": {"PPxY": "500"}}, id="str-float"),
        pytest.param({"id": "O", "lines": {}}, id="dict-list"),
        pytest.param({"id": "O", "lines": [1, None, "x", {"id": 7}]}, id="odd-items"),
        pytest.param({"id": "O", "parameters": {"ordering": [{"constraints": None}]}}, id="null"),
        pytest.param({"id": "O", "parameters": {"ordering": [{"constraints": []}]}}, id="list"),
        pytest.param({"id": "O", "notes": 12}, id="int-str"),
        pytest.param({"id": "O", "price": {"SPxM": False, "PPxY": True}}, id="bool-float"),
        pytest.param({"id": "O", "error": True}, id="bool-message-or-str"),
        pytest.param({"id": "O", "revision": True}, id="bool-int"),
        pytest.param(
            {"id": "O", "parameters": {"ordering": [{"constraints": {"hidden": "no"}}]}},
            id="str-bool",
        ),
        pytest.param({"id": "O", "error": "just text"}, id="str-message"),
        pytest.param({"id": "O", "error": {"id": 5}}, id="odd-message"),
        pytest.param({"id": "O", "x": {"y": [1, 2.0, "3", None, {"z": {}}]}}, id="unknown"),
        pytest.param({"id": "O", "lines": [{"old_quantity": 3}]}, id="python-name"),
        pytest.param({"id": "O", "meta": 1, "$meta": None}, id="meta-keys"),
        pytest.param({"id": "O", "lines": [{"old_quantity": 3, "oldQuantity": None}]}, id="both"),
        pytest.param({"id": "O", "error": {"message": "x" * 5000}}, id="long-msg"),
        pytest.param({"id": "O", "big": 2**80, "neg": -0.0, "e": 1e300}, id="numbers"),
    ],
)
def test_unexpected_values_are_kept_as_they_came(body: dict[str, Any]) -> None:
    data = json.dumps(body)

    assert_same_json(body, json.loads(Order.from_json(data).to_json()))
    assert_same_json(body, Order.from_dict(body).to_dict())


def test_a_surprising_value_is_visible_as_it_came() -> None:
    order = Order.from_json(b'{"id": "O", "lines": [{"quantity": "5"}], "revision": 3}')

    assert order.lines is not None
    assert order.lines[0].quantity == "5"
    assert order.revision == 3


@settings(settings.get_profile("models"))
@pytest.mark.parametrize("model", TOP_LEVEL)
@given(data=st.data())
def test_generated_objects_round_trip(model: type[ObjectModel], data: st.DataObject) -> None:
    body = data.draw(top_level_objects(model))

    via_json = model.from_json(json.dumps(body).encode()).to_json()
    via_dict = model.from_dict(body).to_dict()

    assert_same_json(body, json.loads(via_json))
    assert_same_json(body, via_dict)


@settings(settings.get_profile("models"))
@given(body=top_level_objects(Order))
def test_generated_orders_clear_errors_only_where_present(body: dict[str, Any]) -> None:
    expected = json.loads(json.dumps(body))
    if "error" in expected:
        expected["error"] = None
    parameters = expected.get("parameters")
    if isinstance(parameters, dict) and isinstance(parameters.get("ordering"), list):
        for parameter in parameters["ordering"]:
            if isinstance(parameter, dict) and "error" in parameter:
                parameter["error"] = None

    assert_same_json(expected, Order.from_json(json.dumps(body)).clear_errors().to_dict())


@settings(settings.get_profile("models"))
@given(body=top_level_objects(Order))
def test_parsing_does_not_change_the_callers_dict(body: dict[str, Any]) -> None:
    before = json.dumps(body, sort_keys=True)

    Order.from_dict(body).clear_errors()

    assert json.dumps(body, sort_keys=True) == before
