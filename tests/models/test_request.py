from __future__ import annotations

from typing import Any

import pytest

from receiver.errors import MessageTooLongError, ParameterNotFoundError
from receiver.models import (
    Parameter,
    Request,
    RequestParameter,
    RequestParameterBag,
    RequestParameterConstraints,
)

from .helpers import fixture, fixture_bytes


def test_documented_shape_is_typed() -> None:
    request = Request.from_json(fixture_bytes("request_documented"))

    assert isinstance(request.parameters, RequestParameterBag)
    assert not request.is_openapi_shape
    assert isinstance(request.parameter("tenantDomain"), Parameter)


def test_openapi_shape_is_typed() -> None:
    request = Request.from_json(fixture_bytes("request_openapi"))

    assert request.is_openapi_shape
    assert request.error == "Tenant domain is already in use."
    assert request.from_ is not None
    assert request.from_.id == "ACC-1234-4444"
    found = request.parameter("tenantDomain")
    assert isinstance(found, RequestParameter)
    assert isinstance(found.constraints, RequestParameterConstraints)
    assert found.constraints.is_optional is False
    assert found.display_order == 1


@pytest.mark.parametrize(
    ("name", "expected_error"),
    [
        pytest.param("request_documented", {"id": "R1", "message": "Refused."}, id="documented"),
        pytest.param("request_openapi", "Refused.", id="openapi"),
    ],
)
def test_set_error_answers_in_the_shape_that_came(name: str, expected_error: Any) -> None:
    body = fixture(name)

    after = Request.from_dict(body).set_error("R1", "Refused.").to_dict()

    assert after == {**body, "error": expected_error}


def test_set_error_refuses_long_messages_in_both_shapes() -> None:
    for name in ("request_documented", "request_openapi"):
        with pytest.raises(MessageTooLongError):
            Request.from_json(fixture_bytes(name)).set_error("R1", "x" * 4001)


def test_clear_errors_documented() -> None:
    request = Request.from_json(fixture_bytes("request_documented"))
    request.parameter("tenantDomain").set_error("T1", "Taken.")

    after = request.clear_errors().to_dict()

    assert after["error"] is None
    assert after["parameters"]["ordering"][0]["error"] is None


def test_clear_errors_openapi_nulls_code_and_message() -> None:
    after = Request.from_json(fixture_bytes("request_openapi")).clear_errors().to_dict()

    assert after["error"] is None
    assert after["parameters"][0]["errorMessage"] is None
    assert after["parameters"][0]["errorCode"] is None
    assert after["parameters"][0]["value"] == "contoso"


def test_clear_errors_openapi_skips_items_that_are_not_parameters() -> None:
    body = {"id": "REQ-1", "parameters": ["junk", {"errorCode": "X"}]}

    after = Request.from_dict(body).clear_errors().to_dict()

    assert after["parameters"] == ["junk", {"errorCode": None}]


def test_openapi_parameter_helpers() -> None:
    request = Request.from_json(fixture_bytes("request_openapi"))

    request.parameter("tenantDomain").set_error("TEN002", "Reserved.").set_value("contoso2")

    parameter = request.to_dict()["parameters"][0]
    assert (parameter["errorCode"], parameter["errorMessage"]) == ("TEN002", "Reserved.")
    assert parameter["value"] == "contoso2"


def test_openapi_parameter_clear_error_leaves_absent_keys_absent() -> None:
    assert RequestParameter(external_id="x").clear_error().to_dict() == {"externalId": "x"}


def test_the_docs_order_spelling_is_searched_and_cleared() -> None:
    request = Request.from_dict(
        {
            "id": "REQ-1",
            "parameters": {
                "order": [{"externalId": "a", "error": {"message": "old"}}],
                "ordering": [{"externalId": "b"}],
                "fulfillment": [{"externalId": "c", "error": {"message": "kept"}}],
            },
        }
    )

    assert [p.external_id for p in request.all_parameters()] == ["b", "a", "c"]
    after = request.clear_errors().to_dict()["parameters"]
    assert after["order"][0]["error"] is None
    assert after["fulfillment"][0]["error"] == {"message": "kept"}


@pytest.mark.parametrize(
    ("parameters", "known"),
    [
        pytest.param(None, "none", id="absent"),
        pytest.param([{"externalId": "t"}, 3], "'t'", id="openapi"),
        pytest.param("junk", "none", id="junk"),
    ],
)
def test_missing_parameter(parameters: Any, known: str) -> None:
    request = Request.from_dict({"id": "REQ-1", "parameters": parameters})

    with pytest.raises(ParameterNotFoundError, match=f"Known external ids: {known}."):
        request.parameter("x")
    assert request.find_parameter("x") is None


@pytest.mark.parametrize("shape", ["request_documented", "request_openapi"])
def test_find_parameter_in_either_shape(shape: str) -> None:
    request = Request.from_json(fixture_bytes(shape))

    assert request.find_parameter("tenantDomain") is request.parameter("tenantDomain")


def test_clear_errors_without_parameters() -> None:
    assert Request.from_dict({"id": "REQ-1"}).clear_errors().to_dict() == {"id": "REQ-1"}
