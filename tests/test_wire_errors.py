"""Errors on a wire dict: one rule for finding and clearing them, which gives a raw handler the
object a model handler gets."""

from __future__ import annotations

import copy
import doctest
import json
from typing import Any

import pytest

import receiver._wire_errors
from receiver import Receiver, answers
from receiver._wire_errors import (
    clear_errors,
    clear_parameter_errors,
    error_of,
    has_errors,
    parameter_error,
    parameters_may_have_errors,
)
from receiver.models import MODEL_BY_OBJECT_TYPE
from receiver.testing import PlatformClient, samples
from receiver.types import KNOWN_WEBHOOK_TYPES, REQUEST, ObjectType
from tests.conftest import FIXTURES, SECRET, WEBHOOK_ID

OLD = {"id": "OLD", "message": "stale"}


def test_the_examples_in_the_docstrings_run() -> None:
    result = doctest.testmod(receiver._wire_errors, report=True)
    assert result.attempted > 0
    assert result.failed == 0


def test_answers_keeps_its_names() -> None:
    assert answers.dict_has_error is has_errors
    assert answers.error_of is error_of
    assert answers.parameter_error is parameter_error
    data: dict[str, Any] = {"id": "ORD-1", "error": OLD}
    answers.clear_dict_errors(data)
    assert data == {"id": "ORD-1", "error": None}


# -- finding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="null"),
        pytest.param({}, None, id="empty-object"),
        pytest.param("", None, id="empty-string"),
        pytest.param(OLD, OLD, id="object"),
        pytest.param("Refused.", {"message": "Refused."}, id="openapi-string"),
        pytest.param(0, None, id="number"),
        pytest.param([], None, id="list"),
    ],
)
def test_what_is_an_error(value: Any, expected: dict[str, Any] | None) -> None:
    assert error_of(value) == expected
    assert has_errors({"id": "ORD-1", "error": value}) is (expected is not None)


@pytest.mark.parametrize(
    ("parameter", "expected"),
    [
        pytest.param({"externalId": "a"}, None, id="none"),
        pytest.param({"externalId": "a", "error": OLD}, OLD, id="error"),
        pytest.param({"externalId": "a", "errorMessage": "No."}, {"id": None, "message": "No."},
                     id="openapi-message"),
        pytest.param({"externalId": "a", "errorCode": "E1"}, {"id": "E1", "message": None},
                     id="openapi-code"),
        pytest.param({"externalId": "a", "errorCode": "", "errorMessage": ""}, None,
                     id="openapi-empty"),
    ],
)  # fmt: skip
def test_what_is_a_parameter_error(
    parameter: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    assert parameter_error(parameter) == expected


@pytest.mark.parametrize("group", ["ordering", "fulfillment", "order"])
def test_a_parameter_error_in_any_group_refuses(group: str) -> None:
    data = {"id": "ORD-1", "parameters": {group: [{"externalId": "a", "error": OLD}]}}
    assert has_errors(data)
    assert parameters_may_have_errors(data["parameters"], (group,))
    assert not parameters_may_have_errors(data["parameters"], ("other",))


@pytest.mark.parametrize("bag", [None, [], "x", {"ordering": "x"}, {"ordering": [1, "a"]}])
def test_odd_bags_have_no_errors_and_survive_clearing(bag: Any) -> None:
    before = copy.deepcopy(bag)
    assert not parameters_may_have_errors(bag, ("ordering",))
    clear_parameter_errors(bag, ("ordering",))
    assert bag == before


# -- clearing: the same object for a raw handler and a model handler --------------------------


def with_old_errors(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with an earlier verdict everywhere one can be: on the object and on every
    parameter of every group (``errorCode``/``errorMessage`` in an OpenAPI list)."""
    obj = copy.deepcopy(obj)
    parameters = obj.get("parameters")
    if isinstance(parameters, list):
        obj["error"] = "stale"
        for parameter in parameters:
            parameter.update(errorCode="OLD", errorMessage="stale")
        return obj
    obj["error"] = dict(OLD)
    if isinstance(parameters, dict):
        for group in parameters.values():
            for parameter in group:
                parameter["error"] = dict(OLD)
    return obj


def _objects() -> list[Any]:
    found = [
        pytest.param(kind.object_type, samples.for_type(kind), id=str(kind))
        for kind in KNOWN_WEBHOOK_TYPES
    ]
    documented = json.loads((FIXTURES / "request_documented.json").read_text())
    openapi = json.loads((FIXTURES / "request_openapi.json").read_text())
    with_order_group = copy.deepcopy(documented)
    with_order_group["parameters"]["order"] = [{"externalId": "docs", "value": "x"}]
    found += [
        pytest.param(REQUEST, documented, id="request-documented"),
        pytest.param(REQUEST, with_order_group, id="request-order-group"),
        pytest.param(REQUEST, openapi, id="request-openapi"),
    ]
    return found


@pytest.mark.parametrize(("kind", "obj"), _objects())
def test_clearing_a_dict_clears_what_the_model_clears(
    kind: ObjectType, obj: dict[str, Any]
) -> None:
    model = MODEL_BY_OBJECT_TYPE[kind]
    stale = with_old_errors(obj)
    assert has_errors(stale)
    raw = copy.deepcopy(stale)
    clear_errors(raw)
    assert model.from_dict(copy.deepcopy(stale)).clear_errors().to_dict() == raw
    parsed_lazily = model.from_json(json.dumps(stale).encode()).clear_errors()
    assert parsed_lazily.to_dict() == raw
    assert has_errors(raw) is parsed_lazily.has_errors


def test_clearing_adds_no_key() -> None:
    data: dict[str, Any] = {"id": "REQ-1", "parameters": [{"externalId": "a"}]}
    clear_errors(data)
    assert data == {"id": "REQ-1", "parameters": [{"externalId": "a"}]}


def test_a_raw_request_handler_gets_the_order_group_cleared() -> None:
    # Before one rule, a raw handler saw the errors of a Request's ``order`` group (and of an
    # OpenAPI Request's parameters) that a model handler saw cleared.
    seen: list[dict[str, Any]] = []
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_request
    def check(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(copy.deepcopy(request))
        return request

    documented = json.loads((FIXTURES / "request_documented.json").read_text())
    documented["parameters"]["order"] = [{"externalId": "docs", "error": OLD}]
    openapi = json.loads((FIXTURES / "request_openapi.json").read_text())
    for parameter in openapi["parameters"]:
        parameter.update(errorCode="OLD", errorMessage="stale")
    platform = PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID)
    assert not platform.call("ValidateRequest", documented).refused
    assert not platform.call("ValidateRequest", openapi).refused
    assert seen[0]["parameters"]["order"] == [{"externalId": "docs", "error": None}]
    assert all(
        parameter["errorCode"] is None and parameter["errorMessage"] is None
        for parameter in seen[1]["parameters"]
    )
