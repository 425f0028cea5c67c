"""``from_json`` parses lazily: model-holding fields keep their JSON value until first read.

Nothing of this may show: every read returns what the full parse (``from_dict``) returns, changes
at any depth reach the dump, untouched parts dump equal to what came in (unknown keys included),
and copies, pickles and comparisons see the models.
"""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import field_validator

from receiver.errors import InvalidObjectError
from receiver.models import (
    Account,
    Enrollment,
    Line,
    Message,
    ObjectModel,
    Order,
    ParameterBag,
    Price,
    Reference,
    Request,
    ValidateAnswer,
    WireModel,
)

from .helpers import assert_same_json, fixture, fixture_bytes
from .strategies import top_level_objects

TOP_LEVEL = [Order, Account, Request, Enrollment, ValidateAnswer]


def _dump(value: Any) -> Any:
    """A field value as JSON (models through their own dump), for comparing two parses."""
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value.to_dict() if isinstance(value, WireModel) else value


def _unread(obj: ObjectModel) -> set[str]:
    return set(obj.__pydantic_private__ or ())


def test_untouched_fields_stay_json_until_read() -> None:
    order = Order.from_json(fixture_bytes("order_purchase_full"))

    assert {"lines", "parameters", "product", "audit"} <= _unread(order)
    assert order.type == "Purchase"  # scalars are there from the start
    assert isinstance(order.lines, list)
    assert isinstance(order.lines[0], Line)
    assert "lines" not in _unread(order)
    assert "parameters" in _unread(order)


@pytest.mark.parametrize("model", TOP_LEVEL)
def test_a_fixture_reads_as_the_full_parse_does(model: type[ObjectModel]) -> None:
    name = {
        Order: "order_purchase_full",
        Account: "account",
        Request: "request_documented",
        Enrollment: "enrollment",
        ValidateAnswer: "order_change",
    }[model]
    lazy = model.from_json(fixture_bytes(name))
    full = model.from_dict(fixture(name))

    for field in model.model_fields:
        read, expected = getattr(lazy, field), getattr(full, field)
        assert type(read) is type(expected), field
        assert _dump(read) == _dump(expected), field
    assert lazy.model_fields_set == full.model_fields_set
    assert lazy.model_extra == full.model_extra


@settings(settings.get_profile("models"))
@pytest.mark.parametrize("model", TOP_LEVEL)
@given(data=st.data())
def test_generated_objects_read_as_the_full_parse_does(
    model: type[ObjectModel], data: st.DataObject
) -> None:
    body = data.draw(top_level_objects(model))
    text = json.dumps(body)
    lazy, full = model.from_json(text), model.from_dict(json.loads(text))

    assert lazy.has_errors == full.has_errors  # before anything is read
    for field in model.model_fields:
        read, expected = getattr(lazy, field), getattr(full, field)
        assert type(read) is type(expected), field
        assert_same_json(_dump(expected), _dump(read))
    assert lazy.model_fields_set == full.model_fields_set
    assert lazy == full
    assert_same_json(full.to_dict(), lazy.to_dict())


@settings(settings.get_profile("models"))
@pytest.mark.parametrize("model", [Order, Enrollment])
@given(data=st.data())
def test_clear_errors_on_unread_parameters_is_the_full_parse_clear_errors(
    model: type[ObjectModel], data: st.DataObject
) -> None:
    body = data.draw(top_level_objects(model))
    text = json.dumps(body)
    lazy = model.from_json(text).clear_errors()
    full = model.from_dict(json.loads(text)).clear_errors()

    assert lazy.has_errors == full.has_errors
    assert_same_json(full.to_dict(), lazy.to_dict())
    assert lazy.to_dict() == json.loads(lazy.to_json())


def test_a_parameter_error_on_unread_parameters_is_seen() -> None:
    body = {
        "id": "ORD-1",
        "parameters": {"fulfillment": [{"externalId": "a", "error": {"message": "No."}}]},
    }
    order = Order.from_json(json.dumps(body))

    assert order.has_errors
    assert not Order.from_json(json.dumps({"id": "ORD-1", "parameters": []})).has_errors


def test_deep_changes_reach_the_answer() -> None:
    order = Order.from_json(fixture_bytes("order_purchase_full")).clear_errors()

    order.parameter("companyName").set_error("E1", "Not valid.")
    order.lines[0].price.unit_pp = 1.5  # type: ignore[index,union-attr]
    order.agreement.name = "Renamed"  # type: ignore[union-attr]
    order.add_line("ITM-9", 2)
    answer = json.loads(order.to_json())

    expected = fixture("order_purchase_full")
    company = expected["parameters"]["ordering"][0]
    assert company["externalId"] == "companyName"
    company["error"] = {"id": "E1", "message": "Not valid."}
    company["constraints"] = {**company["constraints"], "hidden": False, "required": True}
    for parameter in expected["parameters"]["ordering"]:
        if "error" in parameter and parameter is not company:
            parameter["error"] = None
    if "error" in expected:
        expected["error"] = None
    expected["lines"][0]["price"]["unitPP"] = 1.5
    expected["agreement"]["name"] = "Renamed"
    expected["lines"].append({"item": {"id": "ITM-9"}, "quantity": 2})
    assert_same_json(expected, answer)
    assert order.has_errors


def test_untouched_parts_come_back_with_their_unknown_keys() -> None:
    body = {
        "id": "ORD-1",
        "lines": [{"id": "ALI-1", "quantity": "5", "deploymentId": "d", "item": {"x": [1, 2.0]}}],
        "product": {"id": "PRD-1", "new": {"deep": None}},
        "parameters": {"ordering": [{"externalId": "a", "error": None, "odd": 1}], "other": 2},
        "surprise": {"a": 1},
    }
    order = Order.from_json(json.dumps(body))
    order.notes = "read nothing else"

    assert_same_json({**body, "notes": "read nothing else"}, json.loads(order.to_json()))


def test_an_assignment_before_the_first_read_wins() -> None:
    order = Order.from_json(b'{"id": "O", "price": {"unitPP": 1}, "lines": [{"id": "A"}]}')

    order.price = {"as": "given"}  # type: ignore[assignment]
    order.lines = [Line(id="B")]

    assert order.price == {"as": "given"}
    assert [line.id for line in order.lines] == ["B"]
    assert json.loads(order.to_json()) == {
        "id": "O",
        "price": {"as": "given"},
        "lines": [{"id": "B"}],
    }


def test_python_names_inside_an_unread_field_stay_unknown_keys() -> None:
    body = {"id": "O", "lines": [{"old_quantity": 3, "price": {"unit_pp": 1}}]}
    order = Order.from_json(json.dumps(body))

    line = order.lines[0]  # type: ignore[index]
    assert isinstance(line, Line)
    assert line.old_quantity is None
    assert isinstance(line.price, Price)
    assert line.price.unit_pp is None
    assert json.loads(order.to_json()) == body


def test_copies_pickles_and_comparisons_see_the_models() -> None:
    data = fixture_bytes("order_purchase_full")
    full = Order.from_dict(fixture("order_purchase_full"))

    for copied in (
        copy.copy(Order.from_json(data)),
        copy.deepcopy(Order.from_json(data)),
        Order.from_json(data).model_copy(deep=True),
        Order.from_json(data).model_copy(update={"notes": "n"}),
        pickle.loads(pickle.dumps(Order.from_json(data))),  # noqa: S301 - our own bytes
    ):
        assert isinstance(copied.product, Reference)
        assert isinstance(copied.parameters, ParameterBag)
        assert isinstance(copied.lines[0], Line)  # type: ignore[index]
    assert Order.from_json(data) == full
    assert Order.from_json(data) == Order.from_json(data)
    assert Order.from_json(data) != Order.from_json(b'{"id": "ORD-3156-8071-4437"}')


def test_repr_shows_models_not_wire_dicts() -> None:
    order = Order.from_json(b'{"id": "O", "error": {"message": "m"}, "product": {"id": "P"}}')

    assert repr(order) == "Order(id='O', error=Message(message='m'), product=Reference(id='P'))"
    assert isinstance(order.error, Message)


def test_fields_are_not_class_attributes() -> None:
    with pytest.raises(AttributeError):
        _ = Order.lines


def test_a_subclass_with_a_validator_is_parsed_in_full() -> None:
    class Checked(Order):
        @field_validator("notes")
        @classmethod
        def shout(cls, value: Any) -> Any:
            return value.upper() if isinstance(value, str) else value

    order = Checked.from_json(b'{"id": "O", "notes": "hi", "lines": [{"id": "A"}]}')

    assert order.notes == "HI"
    assert isinstance(order.lines[0], Line)  # type: ignore[index]
    assert not order.__pydantic_private__


def test_a_subclass_with_new_fields_is_lazy_too() -> None:
    class WithExtra(Order):
        primary: Reference | None = None
        anything: Any = None

    order = WithExtra.from_json(
        b'{"id": "O", "primary": {"id": "R"}, "price": {"unitPP": 2}, "anything": {"a": 1}}'
    )

    assert _unread(order) == {"primary", "price"}
    assert order.anything == {"a": 1}
    assert isinstance(order.primary, Reference)
    assert isinstance(order.price, Price)
    assert order.price.unit_pp == 2


def test_deleting_and_setting_a_lazy_field_directly() -> None:
    order = Order.from_json(b'{"id": "O", "price": {"unitPP": 1}, "product": {"id": "P"}}')

    del order.price
    object.__setattr__(order, "product", Reference(id="Q"))

    with pytest.raises(AttributeError, match="'Order' object has no attribute 'price'"):
        _ = order.price
    with pytest.raises(AttributeError, match="'Order' object has no attribute 'price'"):
        del order.price
    assert order.product == Reference(id="Q")
    assert json.loads(order.to_json()) == {"id": "O", "product": {"id": "Q"}}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"by_alias": False},
        {"exclude_unset": True, "by_alias": False},
        {"exclude_unset": True, "exclude_none": True},
        {"exclude_unset": True, "exclude": {"lines": {0: {"old_quantity"}}}},
        {"exclude_unset": True, "include": {"lines": {0: {"old_quantity", "price"}}}},
        {"exclude_defaults": True},
        {"round_trip": True},
    ],
)
def test_other_dumps_are_the_full_parse_dumps(options: dict[str, Any]) -> None:
    data = fixture_bytes("order_purchase_full")
    full = Order.from_dict(fixture("order_purchase_full"))

    assert Order.from_json(data).model_dump(**options) == full.model_dump(**options)
    assert Order.from_json(data).model_dump_json(**options) == full.model_dump_json(**options)


def test_the_wire_dump_reads_nothing() -> None:
    order = Order.from_json(fixture_bytes("order_purchase_full"))

    order.to_json()
    order.to_dict()

    assert {"lines", "parameters", "product", "audit"} <= _unread(order)


@pytest.mark.parametrize(
    "body",
    [b'{"id": "ORD-1", "x": NaN}', b'{"id": "ORD-1", "lines": [{"q": -Infinity}]}', b'{"id": NaN}'],
)
def test_nan_and_infinity_literals_are_not_json(body: bytes) -> None:
    with pytest.raises(InvalidObjectError, match="NaN and Infinity"):
        Order.from_json(body)


def test_the_words_nan_and_infinity_in_strings_and_huge_numbers_are_fine() -> None:
    order = Order.from_json(b'{"id": "ORD-1", "notes": "NaN Infinity", "x": 1e999}')
    assert order.notes == "NaN Infinity"
    assert json.loads(order.to_json())["x"] is None  # inf is not JSON: written as null
