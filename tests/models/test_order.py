from __future__ import annotations

import json
from typing import Any

import pytest

from receiver.errors import LineNotFoundError, MessageTooLongError, ParameterNotFoundError
from receiver.models import Line, Order, OrderStatus, OrderType, Parameter, Price

from .helpers import assert_same_json, fixture, fixture_bytes


def full_order() -> Order:
    return Order.from_json(fixture_bytes("order_purchase_full"))


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


@pytest.mark.parametrize(
    ("order_type", "flags"),
    [
        pytest.param("Purchase", (True, False, False, False), id="purchase"),
        pytest.param("Change", (False, True, False, False), id="change"),
        pytest.param("Termination", (False, False, True, False), id="termination"),
        pytest.param("Configuration", (False, False, False, True), id="configuration"),
        pytest.param("purchase", (True, False, False, False), id="lowercase"),
        pytest.param("Renewal", (False, False, False, False), id="unknown"),
        pytest.param(None, (False, False, False, False), id="null"),
        pytest.param(3, (False, False, False, False), id="not-a-string"),
    ],
)
def test_order_kind(order_type: Any, flags: tuple[bool, ...]) -> None:
    order = Order.from_dict({"id": "ORD-1", "type": order_type})

    assert (order.is_purchase, order.is_change, order.is_termination, order.is_configuration) == (
        flags
    )
    assert order.to_dict()["type"] == order_type  # kept as it came


def test_enum_constants_are_the_wire_strings() -> None:
    order = full_order()

    assert order.type == OrderType.PURCHASE == "Purchase"
    assert order.status == OrderStatus.DRAFT


@pytest.mark.parametrize(
    ("fixture_name", "new", "upsized", "downsized"),
    [
        pytest.param("order_purchase_full", 1, 0, 0, id="purchase"),
        pytest.param("order_change", 1, 1, 0, id="change"),
        pytest.param("order_termination", 0, 0, 1, id="termination"),
        pytest.param("order_configuration", 0, 0, 0, id="configuration"),
    ],
)
def test_line_selections(fixture_name: str, new: int, upsized: int, downsized: int) -> None:
    order = Order.from_json(fixture_bytes(fixture_name))

    assert (len(order.new_lines), len(order.upsized_lines), len(order.downsized_lines)) == (
        new,
        upsized,
        downsized,
    )


@pytest.mark.parametrize(
    "lines",
    [pytest.param(None, id="absent"), pytest.param({}, id="object"), pytest.param([1], id="junk")],
)
def test_line_selections_are_empty_without_line_objects(lines: Any) -> None:
    order = Order.from_dict({"id": "ORD-1"} if lines is None else {"id": "ORD-1", "lines": lines})

    assert order.all_lines() == order.new_lines == order.upsized_lines == []


def test_line_by_id() -> None:
    order = Order.from_json(fixture_bytes("order_change"))

    assert order.line("ALI-2119-4550-8674-0001").quantity == 15


def test_missing_line_lists_the_line_ids() -> None:
    order = Order.from_json(fixture_bytes("order_change"))

    with pytest.raises(LineNotFoundError) as caught:
        order.line("ALI-0000")

    assert str(caught.value) == (
        "No line with id 'ALI-0000'. Line ids in this order: 'ALI-2119-4550-8674-0001'."
    )
    assert caught.value.line_id == "ALI-0000"


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        pytest.param(
            {"currency": "USD", "unitPP": 100.0, "PPxY": 500.0},
            {"currency": "USD", "unitPP": 93.17, "PPxY": 500.0},
            id="existing-price",
        ),
        pytest.param(None, {"unitPP": 93.17}, id="null-price"),
        pytest.param("junk", {"unitPP": 93.17}, id="junk-price"),
    ],
)
def test_set_line_price(price: Any, expected: dict[str, Any]) -> None:
    order = Order.from_dict({"id": "ORD-1", "lines": [{"id": "ALI-1", "price": price}]})

    line = order.set_line_price("ALI-1", unit_pp=93.17)

    assert line is order.line("ALI-1")
    assert order.to_dict()["lines"] == [{"id": "ALI-1", "price": expected}]


def test_set_line_price_creates_an_absent_price() -> None:
    order = Order.from_dict({"id": "ORD-1", "lines": [{"id": "ALI-1"}]})

    order.set_line_price("ALI-1", unit_pp=20)

    assert order.to_dict()["lines"] == [{"id": "ALI-1", "price": {"unitPP": 20}}]


def test_set_line_price_on_a_missing_line_raises() -> None:
    with pytest.raises(LineNotFoundError):
        Order(id="ORD-1").set_line_price("ALI-1", unit_pp=1.0)


@pytest.mark.parametrize(
    ("wire", "expected_lines"),
    [
        pytest.param({}, [], id="absent"),
        pytest.param({"lines": None}, [], id="null"),
        pytest.param({"lines": {}}, [], id="not-a-list"),
        pytest.param({"lines": [{"id": "ALI-1"}]}, [{"id": "ALI-1"}], id="appended"),
    ],
)
def test_add_line_appends_item_and_quantity_without_old_quantity(
    wire: dict[str, Any], expected_lines: list[Any]
) -> None:
    order = Order.from_dict({"id": "ORD-1", **wire})

    line = order.add_line("ITM-1111-1111-0002", 3)

    assert isinstance(line, Line)
    assert order.to_dict()["lines"] == [
        *expected_lines,
        {"item": {"id": "ITM-1111-1111-0002"}, "quantity": 3},
    ]


def test_parameter_searches_ordering_then_fulfillment() -> None:
    order = full_order()

    assert order.parameter("companyName").value == "Contoso Ltd"
    assert order.parameter("customerId").phase == "Fulfillment"


@pytest.mark.parametrize(
    ("wire", "known"),
    [
        pytest.param(
            fixture("order_purchase_minimal"), "Known external ids: 'companyName'.", id="listed"
        ),
        pytest.param({"id": "ORD-1"}, "Known external ids: none.", id="no-parameters"),
        pytest.param({"id": "ORD-1", "parameters": []}, "Known external ids: none.", id="junk"),
    ],
)
def test_missing_parameter_names_the_known_ones(wire: dict[str, Any], known: str) -> None:
    with pytest.raises(ParameterNotFoundError, match=known) as caught:
        Order.from_dict(wire).parameter("companyNmae")

    assert isinstance(caught.value, KeyError)  # so `except KeyError` handlers still work


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param(fixture("order_purchase_minimal"), id="other-parameters"),
        pytest.param({"id": "ORD-1"}, id="no-parameters"),
        pytest.param({"id": "ORD-1", "parameters": []}, id="junk"),
        pytest.param({"id": "ORD-1", "parameters": None}, id="null"),
    ],
)
def test_find_parameter_returns_none_where_parameter_raises(wire: dict[str, Any]) -> None:
    order = Order.from_dict(wire)

    assert order.find_parameter("companyNmae") is None
    with pytest.raises(ParameterNotFoundError):
        order.parameter("companyNmae")
    assert order.to_dict() == wire  # looking changed nothing


def test_find_parameter_searches_ordering_then_fulfillment() -> None:
    order = full_order()

    company = order.find_parameter("companyName")
    customer = order.find_parameter("customerId")
    assert company is order.parameter("companyName")
    assert customer is not None
    assert customer.phase == "Fulfillment"


def test_refusing_a_parameter_changes_only_that_parameter() -> None:
    before = fixture("order_purchase_full")
    order = Order.from_dict(before)

    order.parameter("address").set_error("ACME02", "We do not ship to this address.")

    after = order.to_dict()
    assert changed_keys(before, after) == {"parameters"}
    changed = next(p for p in after["parameters"]["ordering"] if p["externalId"] == "address")
    assert changed["error"] == {"id": "ACME02", "message": "We do not ship to this address."}
    assert changed["constraints"] == {"hidden": False, "required": True}
    untouched = dict(after["parameters"])
    untouched["ordering"] = [p for p in after["parameters"]["ordering"] if p is not changed]
    original = dict(before["parameters"])
    original["ordering"] = [
        p for p in before["parameters"]["ordering"] if p["externalId"] != "address"
    ]
    assert_same_json(original, untouched)


def test_set_error_on_the_order_changes_only_error() -> None:
    before = fixture("order_purchase_full")
    order = Order.from_dict(before)

    assert order.set_error("AWS003", "Change orders are not supported.") is order

    after = order.to_dict()
    assert changed_keys(before, after) == {"error"}
    assert after["error"] == {"id": "AWS003", "message": "Change orders are not supported."}


@pytest.mark.parametrize(
    ("message", "error"),
    [
        pytest.param("x" * 4001, MessageTooLongError, id="too-long"),
        pytest.param("", ValueError, id="empty"),
    ],
)
def test_set_error_refuses_bad_messages(message: str, error: type[Exception]) -> None:
    order = Order(id="ORD-1")

    with pytest.raises(error):
        order.set_error("E", message)

    assert order.to_dict() == {"id": "ORD-1"}


def test_set_error_with_parameters() -> None:
    order = Order(id="ORD-1").set_error("E", "Too many: {n}.", {"n": 3})

    assert order.to_dict()["error"] == {
        "id": "E",
        "message": "Too many: {n}.",
        "parameters": {"n": 3},
    }


@pytest.mark.parametrize(
    ("fixture_name", "expected_error"),
    [
        pytest.param("answer_b_reject_order", None, id="error-present"),
        pytest.param("order_purchase_full", "absent", id="error-absent"),
    ],
)
def test_clear_errors_nulls_only_present_errors(fixture_name: str, expected_error: Any) -> None:
    data = fixture(fixture_name)

    after = Order.from_dict(data).clear_errors().to_dict()

    assert after.get("error", "absent") == expected_error
    assert changed_keys(data, after) <= {"error"}


def test_clear_errors_clears_ordering_parameter_errors() -> None:
    order = Order.from_json(fixture_bytes("answer_c_reject_parameter"))

    order.clear_errors()

    assert order.parameter("companyName").error is None
    assert order.to_dict()["parameters"]["ordering"][0]["error"] is None
    assert "error" not in order.to_dict()


def test_accept_answer_of_platform_doc_3_3a() -> None:
    # a) The body parsed, errors cleared: the keys that were there are null, nothing else moves.
    order = Order.from_json(fixture_bytes("answer_a_accept"))
    order.set_error("OLD", "An earlier refusal.")
    order.parameter("companyName").set_error("OLD", "An earlier refusal.")

    order.clear_errors()

    after = order.to_dict()
    assert after["error"] is None
    assert after["parameters"]["ordering"][0]["error"] is None
    assert changed_keys(fixture("answer_a_accept"), after) == set()


def test_show_hide_answer_of_platform_doc_3_3d() -> None:
    body = fixture("answer_d_show_hide")
    order = Order.from_dict(body)
    for p in order.parameters.ordering if order.parameters and order.parameters.ordering else []:
        assert isinstance(p, Parameter)
        p.constraints = None
    order.parameter("masterPayerId").show(required=True).readonly(False)
    order.parameter("orderAccountName").hide().readonly(False)

    assert_same_json(body, order.to_dict())


def test_reprice_answer_of_platform_doc_3_3e() -> None:
    order = Order.from_dict(
        {**fixture("order_purchase_minimal"), "lines": [{"id": "ALI-3156-8071-4437-0001"}]}
    )

    order.set_line_price("ALI-3156-8071-4437-0001", unit_pp=93.17)

    assert_same_json(fixture("answer_e_reprice"), order.to_dict())


def test_plain_attribute_assignments_are_dumped_at_every_level() -> None:
    order = full_order()

    order.notes = "changed"
    order.comments = "was absent"
    order.parameter("companyName").value = 3
    first = order.all_lines()[0]
    assert isinstance(first.price, Price)
    first.price.unit_pp = 1
    assert order.agreement is not None
    order.agreement.name = "renamed"

    dumped = json.loads(order.to_json())
    assert dumped["notes"] == "changed"
    assert dumped["comments"] == "was absent"
    assert dumped["parameters"]["ordering"][0]["value"] == 3
    assert dumped["lines"][0]["price"]["unitPP"] == 1
    assert dumped["agreement"] == {
        "id": "AGR-3156-8071-4437",
        "name": "renamed",
        "status": "Draft",
        "licensee": {"id": "LCE-2222-3333-4444", "name": "Contoso Ltd"},
    }


def test_assigning_an_enum_member_dumps_the_string() -> None:
    order = Order(id="ORD-1")

    order.type = OrderType.CHANGE

    assert order.to_json() == b'{"id":"ORD-1","type":"Change"}'
    assert order.to_dict() == {"id": "ORD-1", "type": "Change"}
    assert type(order.to_dict()["type"]) is str


def test_python_attribute_names_for_camel_case_fields() -> None:
    order = full_order()
    line = order.all_lines()[0]

    assert order.external_ids is not None
    assert order.external_ids.client == "PO-2026-0042"
    assert order.terms_and_conditions is not None
    assert line.old_quantity == 0
    assert line.item is not None
    assert line.item.external_ids is not None
    assert line.item.external_ids.vendor == "ACME-PRO-1Y"
    assert order.price is not None
    assert (order.price.pp_xy, order.price.pp_xm) == (500.0, 41.66667)
