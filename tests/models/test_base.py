from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from receiver.errors import InvalidObjectError, ModelError
from receiver.models import (
    Account,
    Enrollment,
    Line,
    Meta,
    ObjectModel,
    Order,
    Price,
    Reference,
    Request,
    ValidateAnswer,
)

TOP_LEVEL = [
    pytest.param(Order, id="order"),
    pytest.param(Account, id="account"),
    pytest.param(Request, id="request"),
    pytest.param(Enrollment, id="enrollment"),
    pytest.param(ValidateAnswer, id="answer"),
]


@pytest.mark.parametrize("model", TOP_LEVEL)
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(b"{", "json_invalid", id="invalid-json"),
        pytest.param(b"", "json_invalid", id="empty"),
        pytest.param(b"[]", "the body: Input should be", id="array"),
        pytest.param(b'"ORD-1"', "the body: Input should be", id="string"),
        pytest.param(b"{}", "id: Field required", id="no-id"),
        pytest.param(b'{"id": null}', "id: Input should be a valid string", id="null-id"),
        pytest.param(b'{"id": 42, "secret": "s3cret"}', "id: Input should be", id="number-id"),
    ],
)
def test_bodies_that_are_not_objects_raise_invalid_object(
    model: type[ObjectModel], body: bytes, problem: str
) -> None:
    with pytest.raises(InvalidObjectError) as caught:
        model.from_json(body)

    message = str(caught.value)
    assert model.__name__ in message
    assert problem in message or "Invalid JSON" in message
    assert "s3cret" not in message  # the body is never echoed
    assert isinstance(caught.value, ModelError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("model", TOP_LEVEL)
@pytest.mark.parametrize(
    "body",
    [pytest.param({}, id="no-id"), pytest.param({"id": 1}, id="number-id")],
)
def test_from_dict_raises_invalid_object_too(model: type[ObjectModel], body: Any) -> None:
    with pytest.raises(InvalidObjectError, match=model.__name__):
        model.from_dict(body)


@pytest.mark.parametrize("model", TOP_LEVEL)
def test_every_object_offers_the_receiver_interface(model: type[ObjectModel]) -> None:
    obj = model.from_json('{"id": "X-1", "unknown": [1]}')

    assert obj.id == "X-1"
    assert obj.to_json() == b'{"id":"X-1","unknown":[1]}'
    assert obj.to_dict() == obj.raw == {"id": "X-1", "unknown": [1]}
    assert obj.set_error("E", "m") is obj
    assert obj.clear_errors() is obj
    assert json.loads(obj.to_json())["error"] is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"old_quantity": 3},
            {"old_quantity": 3},
            id="python-name-is-an-unknown-key",
        ),
        pytest.param(
            {"old_quantity": 3, "oldQuantity": None},
            {"old_quantity": 3, "oldQuantity": None},
            id="both-spellings",
        ),
        pytest.param(
            {"unit_pp": 1, "price": {"unit_pp": 2, "unitPP": 3}},
            {"unit_pp": 1, "price": {"unit_pp": 2, "unitPP": 3}},
            id="nested",
        ),
    ],
)
def test_python_names_on_the_wire_stay_unknown_keys(
    body: dict[str, Any], expected: dict[str, Any]
) -> None:
    line_from_json = Line.from_json(json.dumps(body))
    line_from_dict = Line.from_dict(body)

    assert json.loads(line_from_json.to_json()) == expected
    assert line_from_dict.to_dict() == expected
    assert line_from_json.old_quantity is None


def test_from_dict_accepts_model_instances_inside() -> None:
    # "meta" (a Python name) makes from_dict walk the object, past the instances.
    body = {
        "id": "O",
        "meta": 1,
        "lines": [Line(id="a"), {"id": "b", "old_quantity": 2}, 3],
        "agreement": Reference(id="A"),
    }

    order = Order.from_dict(body)

    assert order.to_dict() == {
        "id": "O",
        "meta": 1,
        "lines": [{"id": "a"}, {"id": "b", "old_quantity": 2}, 3],
        "agreement": {"id": "A"},
    }


@pytest.mark.parametrize(
    "collector_on", [pytest.param(True, id="gc-on"), pytest.param(False, id="gc-off")]
)
def test_a_large_body_round_trips_and_leaves_the_collector_as_it_was(collector_on: bool) -> None:
    line = {"id": "ALI-1", "item": {"id": "ITM-1", "name": "x" * 200}, "quantity": 1}
    body = {"id": "ORD-1", "lines": [{**line, "id": f"ALI-{n}"} for n in range(400)]}
    data = json.dumps(body).encode()
    assert len(data) > 64 * 1024
    was_enabled = gc.isenabled()
    try:
        gc.enable() if collector_on else gc.disable()

        order = Order.from_json(data)

        assert gc.isenabled() is collector_on
    finally:
        gc.enable() if was_enabled else gc.disable()
    assert json.loads(order.to_json()) == body


def test_meta_is_the_dollar_key() -> None:
    order = Order.from_json(b'{"id": "O", "$meta": {"omitted": ["audit"]}, "meta": 1}')

    assert isinstance(order.meta, Meta)
    assert order.meta.omitted == ["audit"]
    assert order.to_dict() == {"id": "O", "$meta": {"omitted": ["audit"]}, "meta": 1}


def test_constructors_accept_python_and_wire_names() -> None:
    assert Price(unit_pp=1, pp_xy=2).to_dict() == Price(unitPP=1, PPxY=2).to_dict()
    assert Line(old_quantity=0).to_dict() == {"oldQuantity": 0}


def test_repr_shows_what_the_object_holds() -> None:
    line = Line.from_dict({"id": "ALI-1", "quantity": 2, "deploymentId": "d"})

    assert repr(line) == "Line(id='ALI-1', quantity=2, deploymentId='d')"


def test_repr_without_unknown_keys() -> None:
    assert repr(Line(id="ALI-1")) == "Line(id='ALI-1')"


def test_unknown_keys_are_readable_as_attributes() -> None:
    line = Line.from_dict({"deploymentId": "d"})

    assert line.deploymentId == "d"
