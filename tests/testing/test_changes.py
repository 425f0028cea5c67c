"""receiver.testing.changes: every kind of change is found, named and printed."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from receiver import Order, Receiver
from receiver.testing import Change, ChangeKind, Changes, PlatformClient, diff_answer, samples
from receiver.testing.changes import subject_for
from tests.testing.conftest import SECRET, WEBHOOK_ID

Mutation = Callable[[dict[str, Any]], None]


def purchase() -> dict[str, Any]:
    return samples.purchase_order(seed=11)


LINE = purchase()["lines"][0]["id"]


def param(order: dict[str, Any], external_id: str) -> dict[str, Any]:
    for group in order["parameters"].values():
        for parameter in group:
            if parameter.get("externalId") == external_id:
                return parameter  # type: ignore[no-any-return]
    raise KeyError(external_id)


def set_error(order: dict[str, Any]) -> None:
    order["error"] = {"id": "ACME010", "message": "Too many seats."}


def set_parameter_error(order: dict[str, Any]) -> None:
    param(order, "companyName")["error"] = {"id": "ACME001", "message": "Company name is required."}


def hide(order: dict[str, Any]) -> None:
    param(order, "companyName")["constraints"]["hidden"] = True


def show(order: dict[str, Any]) -> None:
    param(order, "membershipId")["constraints"]["hidden"] = False


def optional(order: dict[str, Any]) -> None:
    param(order, "companyName")["constraints"]["required"] = False


def required(order: dict[str, Any]) -> None:
    param(order, "membershipId")["constraints"]["required"] = True


def readonly(order: dict[str, Any]) -> None:
    param(order, "companyName")["constraints"]["readonly"] = True


def editable(order: dict[str, Any]) -> None:
    param(order, "customerId")["constraints"]["readonly"] = False


def set_value(order: dict[str, Any]) -> None:
    param(order, "companyName")["value"] = "Contoso"


def add_parameter(order: dict[str, Any]) -> None:
    order["parameters"]["ordering"].append({"externalId": "seats", "value": "3"})


def remove_parameter(order: dict[str, Any]) -> None:
    order["parameters"]["fulfillment"].pop()


def reprice(order: dict[str, Any]) -> None:
    order["lines"][0]["price"]["unitPP"] = 93.17


def requantify(order: dict[str, Any]) -> None:
    order["lines"][0]["quantity"] = 3


def add_line(order: dict[str, Any]) -> None:
    order["lines"].append({"item": {"id": "ITM-1111-1111-0002"}, "quantity": 1})


def add_unknown_line(order: dict[str, Any]) -> None:
    order["lines"].append(
        {"id": "ALI-9999-9999-9999-0009", "quantity": 2, "price": {"unitPP": 9.5}}
    )


def remove_line(order: dict[str, Any]) -> None:
    order["lines"].clear()


def change_notes(order: dict[str, Any]) -> None:
    order["notes"] = "Rush"


def add_field(order: dict[str, Any]) -> None:
    order["vendorNote"] = {"checked": True}


def remove_field(order: dict[str, Any]) -> None:
    del order["listing"]


def change_nested(order: dict[str, Any]) -> None:
    order["buyer"]["contact"]["email"] = "x@contoso.example"


def change_display_value(order: dict[str, Any]) -> None:
    param(order, "companyName")["displayValue"] = "CONTOSO"


def describe_line(order: dict[str, Any]) -> None:
    order["lines"][0]["description"] = "Discounted"


CASES: list[tuple[Mutation, ChangeKind, str, str]] = [
    (set_error, ChangeKind.ERROR_SET, "error", "order: error set ACME010 'Too many seats.'"),
    (
        set_parameter_error,
        ChangeKind.ERROR_SET,
        "parameters.ordering.companyName.error",
        "parameter companyName: error set ACME001 'Company name is required.'",
    ),
    (
        hide,
        ChangeKind.HIDDEN,
        "parameters.ordering.companyName.constraints.hidden",
        "parameter companyName: hidden",
    ),
    (
        show,
        ChangeKind.SHOWN,
        "parameters.ordering.membershipId.constraints.hidden",
        "parameter membershipId: shown",
    ),
    (
        optional,
        ChangeKind.OPTIONAL,
        "parameters.ordering.companyName.constraints.required",
        "parameter companyName: optional",
    ),
    (
        required,
        ChangeKind.REQUIRED,
        "parameters.ordering.membershipId.constraints.required",
        "parameter membershipId: required",
    ),
    (
        readonly,
        ChangeKind.READONLY,
        "parameters.ordering.companyName.constraints.readonly",
        "parameter companyName: readonly",
    ),
    (
        editable,
        ChangeKind.EDITABLE,
        "parameters.fulfillment.customerId.constraints.readonly",
        "parameter customerId: editable",
    ),
    (
        set_value,
        ChangeKind.VALUE_CHANGED,
        "parameters.ordering.companyName.value",
        "parameter companyName: value 'Contoso Ltd' -> 'Contoso'",
    ),
    (
        add_parameter,
        ChangeKind.PARAMETER_ADDED,
        "parameters.ordering.seats",
        "parameter seats: added",
    ),
    (
        remove_parameter,
        ChangeKind.PARAMETER_REMOVED,
        "parameters.fulfillment.dueDate",
        "parameter dueDate: removed",
    ),
    (
        reprice,
        ChangeKind.PRICE_CHANGED,
        f"lines.{LINE}.price.unitPP",
        f"line {LINE}: price.unitPP 100.0 -> 93.17",
    ),
    (
        requantify,
        ChangeKind.QUANTITY_CHANGED,
        f"lines.{LINE}.quantity",
        f"line {LINE}: quantity 5 -> 3",
    ),
    (
        add_line,
        ChangeKind.LINE_ADDED,
        "lines.1",
        "line (new) ITM-1111-1111-0002: added, quantity 1",
    ),
    (
        add_unknown_line,
        ChangeKind.LINE_ADDED,
        "lines.1",
        "line ALI-9999-9999-9999-0009: added, quantity 2, unitPP 9.5",
    ),
    (remove_line, ChangeKind.LINE_REMOVED, f"lines.{LINE}", f"line {LINE}: removed"),
    (
        change_notes,
        ChangeKind.FIELD_CHANGED,
        "notes",
        "order: notes 'Licences for the accounting team' -> 'Rush'",
    ),
    (add_field, ChangeKind.FIELD_ADDED, "vendorNote", 'order: vendorNote added {"checked":true}'),
    (
        remove_field,
        ChangeKind.FIELD_REMOVED,
        "listing",
        'order: listing removed (was {"id":"LST-9401-9279"})',
    ),
    (
        change_nested,
        ChangeKind.FIELD_CHANGED,
        "buyer.contact.email",
        "order: buyer.contact.email 'jane.doe@contoso.example' -> 'x@contoso.example'",
    ),
    (
        change_display_value,
        ChangeKind.FIELD_CHANGED,
        "parameters.ordering.companyName.displayValue",
        "parameter companyName: displayValue 'Contoso Ltd' -> 'CONTOSO'",
    ),
    (
        describe_line,
        ChangeKind.FIELD_ADDED,
        f"lines.{LINE}.description",
        f"line {LINE}: description added 'Discounted'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "kind", "path", "text"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_each_kind_of_change_is_found(
    mutate: Mutation, kind: ChangeKind, path: str, text: str
) -> None:
    request = purchase()
    answer = copy.deepcopy(request)
    mutate(answer)

    changes = diff_answer(request, answer)

    assert [(c.kind, c.path, str(c)) for c in changes] == [(kind, path, text)]
    assert changes.of_kind(kind.value) == changes
    assert str(changes) == text


def test_nothing_changed() -> None:
    request = purchase()
    changes = diff_answer(request, copy.deepcopy(request))
    assert not changes
    assert len(changes) == 0
    assert str(changes) == "no changes"
    assert repr(changes) == "Changes([])"


def test_previous_errors_cleared_are_told_apart() -> None:
    request = purchase()
    request["error"] = {"id": "OLD001", "message": "stale"}
    param(request, "companyName")["error"] = {"id": "OLD002", "message": "stale too"}
    answer = copy.deepcopy(request)
    answer["error"] = None
    del param(answer, "companyName")["error"]
    reprice(answer)

    changes = diff_answer(request, answer)

    assert [c.kind for c in changes.cleared] == ["error_cleared", "error_cleared"]
    assert all(c.cleared for c in changes.cleared)
    assert [c.kind for c in changes.made] == ["price_changed"]
    assert str(changes).splitlines() == [
        f"line {LINE}: price.unitPP 100.0 -> 93.17",
        "previous errors cleared (the receiver clears them before the handler runs):",
        "  order: error cleared (was OLD001 'stale')",
        "  parameter companyName: error cleared (was OLD002 'stale too')",
    ]


def test_an_error_replaced_shows_what_it_was() -> None:
    request = {"id": "ORD-1", "error": {"id": "OLD", "message": "old"}}
    answer = {"id": "ORD-1", "error": {"message": "new"}}
    assert str(diff_answer(request, answer)) == "order: error set 'new' (was OLD 'old')"
    # absent, null and empty are all "no error"
    assert not diff_answer({"id": "ORD-1"}, {"id": "ORD-1", "error": None})
    assert not diff_answer({"id": "ORD-1", "error": {}}, {"id": "ORD-1"})


def test_partial_lines_are_deltas() -> None:
    # Adobe's repricing answer: only id and the new price (platform.md §3.2, §3.3 e).
    request = purchase()
    answer = copy.deepcopy(request)
    answer["lines"] = [{"id": LINE, "price": {"unitPP": 93.17}}]

    assert [str(c) for c in diff_answer(request, answer)] == [
        f"line {LINE}: price.unitPP 100.0 -> 93.17"
    ]


def test_lines_without_ids_pair_up_in_order() -> None:
    request = samples.purchase_order(minimal=True)
    answer = copy.deepcopy(request)
    answer["lines"][0]["quantity"] = 6
    answer["lines"].append({"item": {"id": "ITM-1111-1111-0002"}, "quantity": 1})
    answer["lines"].append({"quantity": 1})

    assert [str(c) for c in diff_answer(request, answer)] == [
        "line #0: quantity 5 -> 6",
        "line (new) ITM-1111-1111-0002: added, quantity 1",
        "line (new) #2: added, quantity 1",
    ]
    answer["lines"] = []
    assert [str(c) for c in diff_answer(request, answer)] == ["line ITM-1111-1111-0001: removed"]


def test_a_stray_item_in_the_lines_is_new() -> None:
    request = {"id": "ORD-1", "lines": [{"id": "ALI-1"}]}
    answer = {"id": "ORD-1", "lines": [{"id": "ALI-1"}, 7]}
    assert [str(c) for c in diff_answer(request, answer)] == ["line (new) #1: added"]


def test_a_duplicated_line_id_is_a_new_line() -> None:
    request = {"id": "ORD-1", "lines": [{"id": "ALI-1", "quantity": 1}]}
    answer = {"id": "ORD-1", "lines": [{"id": "ALI-1", "quantity": 1}, {"id": "ALI-1"}]}
    assert [c.kind for c in diff_answer(request, answer)] == ["line_added"]


def test_a_price_added_to_a_line_and_odd_line_values() -> None:
    request = {"id": "ORD-1", "lines": [{"id": "ALI-1", "quantity": 1}, "junk"]}
    answer = {
        "id": "ORD-1",
        "lines": [{"id": "ALI-1", "quantity": 1, "price": {"unitPP": 5}}, "other junk"],
    }
    assert [str(c) for c in diff_answer(request, answer)] == [
        "line ALI-1: price.unitPP None -> 5",
        "line #1: 'junk' -> 'other junk'",
    ]


def test_json_equality_rules() -> None:
    base = {"id": "ORD-1", "a": 1, "b": True, "c": [1, 2], "d": {"x": 1}}
    assert not diff_answer(base, {**base, "a": 1.0})  # 1 == 1.0 on the wire
    assert [c.path for c in diff_answer(base, {**base, "b": 1})] == ["b"]  # but True != 1
    assert [c.path for c in diff_answer(base, {**base, "c": [1, 3]})] == ["c.1"]
    assert [str(c) for c in diff_answer(base, {**base, "c": [1]})] == ["order: c [1,2] -> [1]"]
    assert [str(c) for c in diff_answer(base, {**base, "d": [1]})] == ['order: d {"x":1} -> [1]']
    long = {**base, "a": "x" * 200}
    assert str(diff_answer(base, long)).endswith("...")


def test_openapi_request_parameters() -> None:
    request = samples.request(shape="openapi", seed=1)
    answer = copy.deepcopy(request)
    parameter = answer["parameters"][0]
    parameter.update(errorCode="TEN001", errorMessage="Already in use.")
    parameter["constraints"] = {"isReadonly": True, "isOptional": True}
    answer["error"] = "Tenant domain is already in use."

    assert [str(c) for c in diff_answer(request, answer)] == [
        "request: error set 'Tenant domain is already in use.'",
        "parameter tenantDomain: error set TEN001 'Already in use.'",
        "parameter tenantDomain: readonly",
        "parameter tenantDomain: optional",
    ]
    back = copy.deepcopy(answer)
    back["parameters"][0]["constraints"]["isOptional"] = False
    assert [str(c) for c in diff_answer(answer, back)] == ["parameter tenantDomain: required"]


def test_unusual_parameter_shapes() -> None:
    request = {
        "id": "ENR-1",
        "parameters": {
            "ordering": [{"value": 1}, {"externalId": "a", "constraints": "odd"}, "junk"],
            "extra": {"x": 1},
        },
    }
    answer = copy.deepcopy(request)
    answer["parameters"]["ordering"][0]["value"] = 2
    answer["parameters"]["ordering"][1]["constraints"] = {"hidden": True}
    answer["parameters"]["ordering"][2] = "other"
    answer["parameters"]["extra"] = {"x": 2}
    answer["parameters"]["ordering"][0]["constraints"] = {"unique": True, "hidden": None}

    assert [str(c) for c in diff_answer(request, answer)] == [
        "parameter #0: value 1 -> 2",
        "parameter #0: constraints.unique added True",
        "parameter #0: constraints.hidden added None",
        "parameter a: constraints 'odd' -> {\"hidden\":true}",
        "parameter #2: 'junk' -> 'other'",
        "parameters: extra.x 1 -> 2",
    ]
    assert diff_answer(request, {"id": "ENR-1", "parameters": None})[0].subject == "enrollment"


def test_replaced_lists_are_reported_whole() -> None:
    request = {"id": "ORD-1", "lines": [], "parameters": {"ordering": []}}
    answer = {"id": "ORD-1", "lines": None, "parameters": {"ordering": None}}
    assert [str(c) for c in diff_answer(request, answer)] == [
        "parameters: ordering [] -> None",
        "order: lines [] -> None",
    ]


def test_filters() -> None:
    request = purchase()
    request["error"] = {"message": "stale"}
    answer = copy.deepcopy(request)
    answer["error"] = None
    set_parameter_error(answer)
    show(answer)
    reprice(answer)
    requantify(answer)
    change_notes(answer)

    changes = diff_answer(request, answer)

    assert len(changes) == 6
    assert [c.kind for c in changes.errors] == ["error_cleared", "error_set"]
    assert [c.subject for c in changes.parameters] == [
        "parameter companyName",
        "parameter membershipId",
    ]
    assert changes.parameter("membershipId").of_kind("shown")
    assert [c.kind for c in changes.lines] == ["quantity_changed", "price_changed"]
    assert changes.line(LINE) == changes.lines
    assert [c.path for c in changes.fields] == ["notes"]
    assert isinstance(changes[1:3], Changes)
    assert len(changes[1:3]) == 2
    assert changes[0] == changes.cleared[0]
    assert changes.made == list(changes)[1:]
    assert changes.made == [str(c) for c in changes.made]
    assert changes != "text"
    assert repr(changes).startswith("Changes([order: error cleared (was 'stale'); parameter")
    with pytest.raises(TypeError, match="unhashable"):
        hash(changes)
    with pytest.raises(ValueError, match="not a valid ChangeKind"):
        changes.of_kind("nope")


def test_change_is_a_plain_record() -> None:
    change = Change(ChangeKind.FIELD_CHANGED, "a.b", 1, 2)
    assert (change.kind, change.path, change.before, change.after) == ("field_changed", "a.b", 1, 2)
    assert str(change) == "order: a.b 1 -> 2"
    assert not change.cleared


def test_subjects_come_from_the_id() -> None:
    assert [subject_for(i) for i in ("ORD-1", "ACC-1", "REQ-1", "ENR-1", "ANS-1", 5)] == [
        "order",
        "account",
        "request",
        "enrollment",
        "object",
        "object",
    ]
    assert (
        str(diff_answer({"id": "X"}, {"id": "X", "a": 1}, subject="answer")) == "answer: a added 1"
    )


def test_a_receivers_answer_end_to_end() -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        order.parameter("companyName").set_error("ACME001", "Company name is required.")
        order.parameter("membershipId").show(required=True)
        order.set_line_price(LINE, unit_pp=93.17)
        order.add_line("ITM-1111-1111-0002", 1)
        return order

    request = purchase()
    request["error"] = {"id": "OLD001", "message": "stale"}
    platform = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)

    result = platform.call("ValidatePurchaseOrderDraft", request)

    assert result.refused
    assert str(result.changes).splitlines() == [
        "parameter companyName: error set ACME001 'Company name is required.'",
        "parameter membershipId: shown",
        "parameter membershipId: required",
        f"line {LINE}: price.unitPP 100.0 -> 93.17",
        "line (new) ITM-1111-1111-0002: added, quantity 1",
        "previous errors cleared (the receiver clears them before the handler runs):",
        "  order: error cleared (was OLD001 'stale')",
    ]
