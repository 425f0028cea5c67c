"""The pure parts: RQL, applying answers, matching, records; and the docstring examples."""

from __future__ import annotations

import copy
import doctest
import importlib
import pkgutil
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import receiver.simulator
from receiver.answers import dict_has_error
from receiver.simulator.apply import apply_answer, describe, next_line_id
from receiver.simulator.matching import candidate_types, criteria_match, values_at
from receiver.simulator.problems import Problem
from receiver.simulator.records import WebhookRecord, to_wire
from receiver.simulator.rql import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    parse_query,
    parse_select,
    resolve,
)
from receiver.types import WebhookType

from .conftest import still_open

MODULES = [
    f"receiver.simulator.{info.name}"
    for info in pkgutil.iter_modules(receiver.simulator.__path__)
    if info.name != "demo"  # its example runs the whole demo; test_demo does that
]


@pytest.mark.parametrize("module_name", [pytest.param(name, id=name) for name in MODULES])
def test_docstring_examples(module_name: str, sqlite_connections: list[sqlite3.Connection]) -> None:
    module = importlib.import_module(module_name)

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)

    assert result.failed == 0
    assert still_open(sqlite_connections) == []  # an example that opens a store closes it


# -- rql ----------------------------------------------------------------------------------------


def test_select_reads_a_form_encoded_plus_as_a_plus() -> None:
    assert parse_query("select=%20statistics,%2BlastCall").include == {"statistics", "lastCall"}
    assert parse_select("-,+") == (set(), set())


def test_empty_query_parts_are_skipped() -> None:
    query = parse_query("&&limit=3&")

    assert (query.limit, query.predicates) == (3, ())


@pytest.mark.parametrize(
    ("expression", "item", "expected"),
    [
        pytest.param("eq(enabled,true)", {"enabled": True}, True, id="bool"),
        pytest.param("eq(a,x)", {"a": {"b": 1}}, False, id="object"),
        pytest.param("ne(a,x)", {}, True, id="ne-missing"),
        pytest.param("in(a,x,y)", {"a": "y"}, True, id="in-unbracketed"),
        pytest.param("like(a,x*)", {}, False, id="like-missing"),
        pytest.param("eq(a,'x y')", {"a": "x y"}, True, id="single-quotes"),
    ],
)
def test_rql_edge_cases(expression: str, item: dict[str, Any], expected: bool) -> None:
    assert parse_query(expression).matches(item) is expected


def test_resolve_stops_at_non_objects() -> None:
    assert resolve({"a": "text"}, "a.b") is None
    assert resolve({"a": 1}, "b") is None


def test_an_rql_error_is_a_400_problem() -> None:
    with pytest.raises(Problem) as caught:
        parse_query("and(eq(a,b)")

    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        pytest.param("PRD-*", "PRD-1", True, id="prefix"),
        pytest.param("*-1", "PRD-1", True, id="suffix"),
        pytest.param("*RD*", "PRD-1", True, id="infix"),
        pytest.param("P*D*1", "PRD-1", True, id="pieces"),
        pytest.param("a*a", "a", False, id="pieces-may-not-overlap"),
        pytest.param("a*b*c", "acb", False, id="pieces-in-order"),
        pytest.param("*", "", True, id="star-matches-nothing"),
        pytest.param("PRD-1", "PRD-1", True, id="no-star-is-equality"),
        pytest.param("PRD-?", "PRD-1", False, id="question-mark-is-a-character"),
        pytest.param("PRD-?", "PRD-?", True, id="question-mark-matches-itself"),
        pytest.param("[P]RD-1", "PRD-1", False, id="brackets-are-characters"),
        pytest.param("[P]RD-1", "[P]RD-1", True, id="brackets-match-themselves"),
    ],
)
def test_like_has_one_wildcard_the_star(pattern: str, text: str, expected: bool) -> None:
    # RQL's like knows * only; glob's ? and [...] would let a filter match what it names not.
    assert parse_query(f"like(a,{pattern})").matches({"a": text}) is expected


def test_nesting_is_refused_before_it_is_read() -> None:
    # Deep enough that reading it level by level would exhaust Python's stack.
    deep = "not(" * 100_000

    with pytest.raises(Problem) as caught:
        parse_query(deep[: MAX_QUERY_LENGTH - 10])

    assert caught.value.status == 400
    assert f"nested more than {MAX_DEPTH} levels deep" in caught.value.detail


def test_the_widest_and_deepest_query_is_parsed_and_evaluated() -> None:
    # The most work the limits allow: comparisons filling the length limit, one chain of them
    # at the deepest level allowed.
    leaf = "eq(a,b)"
    deepest = leaf
    for _ in range(MAX_DEPTH - 2):
        deepest = f"and({deepest})"
    room = MAX_QUERY_LENGTH - len(deepest) - len("or(,)")
    query = parse_query("or(" + ",".join([leaf] * (room // (len(leaf) + 1))) + f",{deepest})")

    assert query.matches({"a": "b"}) is True
    assert query.matches({"a": "c"}) is False


# -- apply --------------------------------------------------------------------------------------

ORDER: dict[str, Any] = {
    "id": "ORD-1111-2222-3333",
    "error": {"id": "OLD", "message": "old"},
    "lines": [{"id": "ALI-1111-2222-3333-0001", "quantity": 1, "price": {"unitPP": 1.0}}],
    "parameters": {
        "ordering": [
            {"id": "PAR-1", "externalId": "a", "value": "x"},
            {"id": "PAR-2", "externalId": "b", "value": "y", "constraints": None},
        ],
        "fulfillment": [{"id": "PAR-3", "externalId": "c", "value": None}],
    },
    "status": "Draft",
}


def test_apply_ignores_what_a_vendor_may_not_change() -> None:
    answer = {"id": ORDER["id"], "status": "Completed", "notes": "x", "price": {"PPxY": 1}}

    result, changes = apply_answer("Order", ORDER, answer)

    assert result == ORDER
    assert changes == []


def test_apply_matches_parameters_by_id_then_external_id() -> None:
    answer = {
        "id": ORDER["id"],
        "parameters": {
            "ordering": [
                {"id": "PAR-1", "externalId": "zzz", "value": "by id"},
                {"externalId": "b", "value": "by external id", "constraints": {"hidden": True}},
                {"externalId": "nope", "value": 1},
                "junk",
            ],
            "fulfillment": [{"externalId": "c", "value": "fulfilled"}],
        },
    }

    result, changes = apply_answer("Order", ORDER, answer)

    ordering = result["parameters"]["ordering"]
    assert [p["value"] for p in ordering] == ["by id", "by external id"]
    assert ordering[1]["constraints"] == {"hidden": True}
    assert result["parameters"]["fulfillment"][0]["value"] == "fulfilled"
    assert [describe(change) for change in changes] == [
        'parameters.ordering[a].value: "x" -> "by id"',
        'parameters.ordering[b].value: "y" -> "by external id"',
        "parameters.ordering[b].constraints.hidden: null -> true",
        "parameters.ordering[nope]: ignored: no such parameter",
        'parameters.fulfillment[c].value: null -> "fulfilled"',
    ]


def test_apply_to_lines_merges_appends_and_ignores_unknown_ids() -> None:
    answer = {
        "id": ORDER["id"],
        "lines": [
            {"id": "ALI-1111-2222-3333-0001", "price": {"unitPP": 2.5, "currency": "EUR"}},
            {"id": "ALI-9", "quantity": 7},
            {"item": {"id": "ITM-2"}, "quantity": 2},
            3,
        ],
    }

    result, changes = apply_answer("Order", ORDER, answer)

    assert result["lines"] == [
        {
            "id": "ALI-1111-2222-3333-0001",
            "quantity": 1,
            "price": {"unitPP": 2.5, "currency": "EUR"},
        },
        {"id": "ALI-1111-2222-3333-0002", "item": {"id": "ITM-2"}, "quantity": 2},
    ]
    assert [describe(change) for change in changes] == [
        "lines[ALI-1111-2222-3333-0001].price.unitPP: 1.0 -> 2.5",
        'lines[ALI-1111-2222-3333-0001].price.currency: null -> "EUR"',
        "lines[ALI-9]: ignored: no such line",
        'lines[ALI-1111-2222-3333-0002] added: {"item": {"id": "ITM-2"}, "quantity": 2}',
    ]
    assert ORDER["lines"][0]["price"] == {"unitPP": 1.0}  # the input is not changed


def test_lines_on_an_order_without_lines_and_on_other_kinds() -> None:
    bare = {"id": "ORD-1"}
    answer = {"id": "ORD-1", "lines": [{"item": {"id": "I"}}]}

    as_order, _ = apply_answer("Order", bare, answer)
    as_account, _ = apply_answer("Account", bare, answer)

    assert as_order["lines"] == [{"id": "ALI-1-0001", "item": {"id": "I"}}]
    assert as_account == bare


def test_error_null_on_an_object_without_error_is_no_change() -> None:
    result, changes = apply_answer("Account", {"id": "ACC-1"}, {"id": "ACC-1", "error": None})

    assert (result, changes) == ({"id": "ACC-1"}, [])


def test_parameters_of_different_shapes_are_left_alone() -> None:
    stored = {"id": "REQ-1", "parameters": [{"id": "P", "value": 1}]}

    result, changes = apply_answer("Request", stored, {"id": "REQ-1", "parameters": {"x": []}})

    assert (result, changes) == (stored, [])


def test_line_ids_continue_from_the_highest() -> None:
    order = {"id": "X", "lines": [{"id": "ALI-X-0009"}, {"id": "ALI-X-junk"}, "junk", {}]}

    assert next_line_id(order) == "ALI-X-0010"


@pytest.mark.parametrize(
    ("obj", "refused"),
    [
        pytest.param({"error": None}, False, id="none"),
        pytest.param({"error": {"message": "x"}}, True, id="object"),
        pytest.param({"parameters": {"ordering": [{"error": {"message": "x"}}]}}, True, id="bag"),
        pytest.param({"parameters": [{"errorMessage": "x"}]}, True, id="request"),
        pytest.param({"parameters": {"ordering": ["junk", {"error": None}]}}, False, id="clean"),
    ],
)
def test_is_refused(obj: dict[str, Any], refused: bool) -> None:
    assert dict_has_error(obj) is refused


def test_describe_clips_long_changes() -> None:
    change = {"path": "notes", "before": None, "after": "x" * 300}

    assert len(describe(change, width=40)) == 40
    assert describe({"path": "error", "before": None, "after": {"message": "m"}}) == "error = m"
    assert (
        describe({"path": "x.error", "before": None, "after": "text"}) == 'x.error: null -> "text"'
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(extra=st.dictionaries(st.text(max_size=6), JSON, max_size=4))
def test_an_answer_equal_to_the_object_changes_nothing(extra: dict[str, Any]) -> None:
    order = {**copy.deepcopy(ORDER), **{k: v for k, v in extra.items() if k != "id"}}

    result, changes = apply_answer("Order", order, copy.deepcopy(order))

    assert result == order
    assert changes == []


# -- matching -----------------------------------------------------------------------------------


def test_unknown_kinds_and_order_types_trigger_nothing() -> None:
    assert candidate_types("Answer", {}) == []
    assert candidate_types("Order", {"type": "Suspend", "status": "Draft"}) == []
    assert candidate_types("Order", {"type": 5}) == []


def test_values_at_handles_odd_shapes() -> None:
    assert values_at("text", "a") == []
    assert values_at({"a": [None, 1]}, "a") == [1]
    assert values_at({"a": {"b": 1}}, "a.c") == []


def test_criteria_compare_booleans_as_text() -> None:
    assert criteria_match({"flag": "true"}, {"flag": True}, kind="Order")
    assert not criteria_match({"flag": "true"}, {"flag": False}, kind="Order")


# -- records ------------------------------------------------------------------------------------


def test_an_unknown_type_has_the_answer_object_type() -> None:
    record = WebhookRecord.new(
        webhook_type=WebhookType("ValidateSomethingNew"),
        url="https://v.example/",
        criteria={"product.id": "PRD-1"},
        secret="s",
        account={"id": "ACC-1", "name": "A"},
    )

    assert to_wire(record)["objectType"] == "Answer"
    assert record.object_id == ""  # the Answer family's anchor is form.id


def test_problem_titles_for_unusual_statuses() -> None:
    assert Problem(599, "x").body("/")["title"] == "Error"
    assert Problem(422, "x").body("/")["type"] == "about:blank"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="null"),
        pytest.param({"id": "none"}, id="object"),
        pytest.param([], id="empty-array"),
    ],
)
def test_criteria_never_match_null_or_structured_values(value: Any) -> None:
    assert not criteria_match({"product.id": "none"}, {"product": {"id": value}}, kind="Order")
    assert not criteria_match({"product.id": ""}, {"product": {"id": value}}, kind="Order")


@pytest.mark.parametrize(
    "line", [pytest.param({}, id="empty"), pytest.param({"id": 5, "quantity": 1}, id="int-id")]
)
def test_an_echoed_line_without_a_usable_id_is_not_a_new_line(line: dict[str, Any]) -> None:
    order = {**copy.deepcopy(ORDER), "lines": [*copy.deepcopy(ORDER).get("lines", []), line]}
    result, changes = apply_answer("Order", order, copy.deepcopy(order))
    assert result == order
    assert changes == []
    added, _ = apply_answer("Order", order, {"id": order["id"], "lines": [{"quantity": 2}]})
    assert len(added["lines"]) == len(order["lines"]) + 1  # a new line is still a new line
