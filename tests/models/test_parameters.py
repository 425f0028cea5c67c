from __future__ import annotations

from typing import Any

import pytest

from receiver.errors import MessageTooLongError, ParameterNotFoundError
from receiver.models import Constraints, Message, Parameter, ParameterBag, ParameterType


def parameter(**wire: Any) -> Parameter:
    return Parameter.from_dict({"externalId": "companyName", **wire})


@pytest.mark.parametrize(
    ("constraints", "expected"),
    [
        pytest.param(
            {"hidden": True, "required": False, "readonly": True, "unique": True, "future": 1},
            {"hidden": False, "required": True, "readonly": True, "unique": True, "future": 1},
            id="merged-keeps-readonly-unique-unknown",
        ),
        pytest.param(None, {"hidden": False, "required": True}, id="null"),
        pytest.param("junk", {"hidden": False, "required": True}, id="not-an-object"),
    ],
)
def test_set_error_shows_the_parameter_as_required(
    constraints: Any, expected: dict[str, Any]
) -> None:
    p = parameter(constraints=constraints).set_error("VIPM0002", "Not valid.")

    assert p.to_dict()["constraints"] == expected
    assert p.to_dict()["error"] == {"id": "VIPM0002", "message": "Not valid."}


def test_set_error_creates_constraints_when_absent() -> None:
    p = parameter().set_error(None, "Not valid.")

    assert p.to_dict() == {
        "externalId": "companyName",
        "constraints": {"hidden": False, "required": True},
        "error": {"message": "Not valid."},
    }


def test_set_error_with_a_too_long_message_changes_nothing() -> None:
    p = parameter(constraints={"hidden": True})

    with pytest.raises(MessageTooLongError):
        p.set_error("E", "x" * 4001)

    assert p.to_dict() == {"externalId": "companyName", "constraints": {"hidden": True}}


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        pytest.param({"error": {"message": "old"}}, {"error": None}, id="present"),
        pytest.param({"error": None}, {"error": None}, id="null"),
        pytest.param({}, {}, id="absent-stays-absent"),
    ],
)
def test_clear_error(wire: dict[str, Any], expected: dict[str, Any]) -> None:
    assert parameter(**wire).clear_error().to_dict() == {"externalId": "companyName", **expected}


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        pytest.param(lambda p: p.show(), {"hidden": False, "readonly": True}, id="show"),
        pytest.param(
            lambda p: p.show(required=True),
            {"hidden": False, "required": True, "readonly": True},
            id="show-required",
        ),
        pytest.param(
            lambda p: p.show(required=False),
            {"hidden": False, "required": False, "readonly": True},
            id="show-optional",
        ),
        pytest.param(
            lambda p: p.hide(),
            {"hidden": True, "required": False, "readonly": True},
            id="hide",
        ),
        pytest.param(lambda p: p.readonly(), {"hidden": True, "readonly": True}, id="readonly"),
        pytest.param(
            lambda p: p.readonly(False), {"hidden": True, "readonly": False}, id="editable"
        ),
    ],
)
def test_visibility_helpers_merge_into_constraints(call: Any, expected: dict[str, Any]) -> None:
    p = parameter(constraints={"hidden": True, "readonly": True})

    assert call(p) is p
    assert p.to_dict()["constraints"] == expected


def test_set_value_replaces_the_value_and_leaves_display_value() -> None:
    p = parameter(value=" 651706759263 ", displayValue="651706759263")

    assert p.set_value("651706759263") is p
    assert p.to_dict() == {
        "externalId": "companyName",
        "value": "651706759263",
        "displayValue": "651706759263",
    }


def test_plain_assignment_is_dumped_even_for_keys_that_were_absent() -> None:
    p = parameter()

    p.value = 3
    p.display_value = "three"

    assert p.to_dict() == {"externalId": "companyName", "value": 3, "displayValue": "three"}


def test_helpers_chain() -> None:
    p = parameter().set_value("x").show(required=True).readonly().clear_error()

    assert p.to_dict() == {
        "externalId": "companyName",
        "value": "x",
        "constraints": {"hidden": False, "required": True, "readonly": True},
    }


BAG = {
    "ordering": [{"externalId": "a", "value": 1}, 7, {"externalId": "shared", "value": "ordering"}],
    "fulfillment": [{"externalId": "b"}, {"externalId": "shared", "value": "fulfillment"}],
}


@pytest.mark.parametrize(
    ("external_id", "value"),
    [
        pytest.param("a", 1, id="ordering"),
        pytest.param("b", None, id="fulfillment"),
        pytest.param("shared", "ordering", id="ordering-first"),
    ],
)
def test_bag_finds_parameters_by_external_id(external_id: str, value: Any) -> None:
    found = ParameterBag.from_dict(BAG).parameter(external_id)

    assert found.external_id == external_id
    assert found.value == value


@pytest.mark.parametrize("external_id", ["a", "b", "shared"])
def test_bag_find_parameter_finds_what_parameter_finds(external_id: str) -> None:
    bag = ParameterBag.from_dict(BAG)

    assert bag.find_parameter(external_id) is bag.parameter(external_id)


def test_bag_find_parameter_returns_none_for_a_missing_parameter() -> None:
    assert ParameterBag.from_dict(BAG).find_parameter("companyName") is None


def test_bag_lists_known_ids_when_a_parameter_is_missing() -> None:
    with pytest.raises(ParameterNotFoundError) as caught:
        ParameterBag.from_dict(BAG).parameter("companyName")

    assert str(caught.value) == (
        "No parameter with externalId 'companyName'. "
        "Known external ids: 'a', 'shared', 'b', 'shared'."
    )
    assert caught.value.known == ["a", "shared", "b", "shared"]


def test_bag_all_skips_items_that_are_not_parameters() -> None:
    ids = [p.external_id for p in ParameterBag.from_dict(BAG).all()]

    assert ids == ["a", "shared", "b", "shared"]


def test_bag_clear_errors_clears_ordering_only() -> None:
    bag = ParameterBag.from_dict(
        {
            "ordering": [{"error": {"message": "x"}}, {}, "junk"],
            "fulfillment": [{"error": {"message": "kept"}}],
        }
    )

    assert bag.clear_errors().to_dict() == {
        "ordering": [{"error": None}, {}, "junk"],
        "fulfillment": [{"error": {"message": "kept"}}],
    }


def test_constructors_take_python_and_wire_names() -> None:
    by_python = Parameter(external_id="x", display_value="X", constraints=Constraints(hidden=True))
    by_wire = Parameter(externalId="x", displayValue="X", constraints={"hidden": True})

    assert by_python.to_dict() == by_wire.to_dict()
    assert isinstance(by_wire.constraints, Constraints)


def test_parameter_type_constants_compare_with_wire_strings() -> None:
    p = parameter(type="SingleLineText", error={"message": "m"})

    assert p.type == ParameterType.SINGLE_LINE_TEXT
    assert isinstance(p.error, Message)
