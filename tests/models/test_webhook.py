from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from receiver.errors import InvalidObjectError
from receiver.models import (
    HTTP_STATUS_NAMES,
    Call,
    Reference,
    Statistics,
    Webhook,
    WebhookStatus,
    http_status_code,
    http_status_name,
)
from receiver.types import ObjectType, WebhookType

from .helpers import fixture, fixture_bytes

# The OAS ``HttpStatusCode`` enum (notifications-webhooks.json, Marketplace API 4.0.2162).
OPENAPI_HTTP_STATUS_CODE = [
    "Continue",
    "SwitchingProtocols",
    "Processing",
    "EarlyHints",
    "OK",
    "Created",
    "Accepted",
    "NonAuthoritativeInformation",
    "NoContent",
    "ResetContent",
    "PartialContent",
    "MultiStatus",
    "AlreadyReported",
    "IMUsed",
    "MultipleChoices",
    "MovedPermanently",
    "Found",
    "SeeOther",
    "NotModified",
    "UseProxy",
    "Unused",
    "TemporaryRedirect",
    "PermanentRedirect",
    "BadRequest",
    "Unauthorized",
    "PaymentRequired",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "NotAcceptable",
    "ProxyAuthenticationRequired",
    "RequestTimeout",
    "Conflict",
    "Gone",
    "LengthRequired",
    "PreconditionFailed",
    "RequestEntityTooLarge",
    "RequestUriTooLong",
    "UnsupportedMediaType",
    "RequestedRangeNotSatisfiable",
    "ExpectationFailed",
    "MisdirectedRequest",
    "UnprocessableEntity",
    "Locked",
    "FailedDependency",
    "UpgradeRequired",
    "PreconditionRequired",
    "TooManyRequests",
    "RequestHeaderFieldsTooLarge",
    "UnavailableForLegalReasons",
    "InternalServerError",
    "NotImplemented",
    "BadGateway",
    "ServiceUnavailable",
    "GatewayTimeout",
    "HttpVersionNotSupported",
    "VariantAlsoNegotiates",
    "InsufficientStorage",
    "LoopDetected",
    "NotExtended",
    "NetworkAuthenticationRequired",
]


def test_names_are_exactly_the_platform_enum() -> None:
    assert sorted(HTTP_STATUS_NAMES.values()) == sorted(OPENAPI_HTTP_STATUS_CODE)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        pytest.param(200, "OK", id="200"),
        pytest.param(204, "NoContent", id="204"),
        pytest.param(400, "BadRequest", id="400"),
        pytest.param(401, "Unauthorized", id="401"),
        pytest.param(413, "RequestEntityTooLarge", id="413"),
        pytest.param(500, "InternalServerError", id="500"),
        pytest.param(504, "GatewayTimeout", id="504"),
        pytest.param(599, "599", id="unknown"),
    ],
)
def test_http_status_name(code: int, name: str) -> None:
    assert http_status_name(code) == name


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("OK", 200, id="name"),
        pytest.param("unauthorized", 401, id="lowercase-name"),
        pytest.param("200", 200, id="numeric-string"),
        pytest.param(" 599 ", 599, id="unknown-number"),
        pytest.param(404, 404, id="int"),
        pytest.param("Teapot", None, id="unknown-name"),
    ],
)
def test_http_status_code(value: str | int, code: int | None) -> None:
    assert http_status_code(value) == code


def test_openapi_example_parses_typed() -> None:
    webhook = Webhook.from_json(fixture_bytes("webhook"))

    assert webhook.is_enabled
    assert isinstance(webhook.type, WebhookType)
    assert webhook.type.object_type == "Order"
    assert isinstance(webhook.object_type, ObjectType)
    assert isinstance(webhook.object, Reference)
    assert webhook.object.id == "PRD-1111-1111"
    assert webhook.criteria == {"product.id": "PRD-1111-1111"}
    assert webhook.statistics == Statistics(
        total=1234, successes=1132, failures=102, failures_since_last_success=2
    )
    assert webhook.last_failure is not None
    assert webhook.last_failure.status_code == 401
    assert webhook.last_failure.call_time == datetime(2026, 5, 13, 9, 0, tzinfo=UTC)


def test_docs_style_webhook_is_normalized_to_the_openapi_form() -> None:
    webhook = Webhook.from_json(fixture_bytes("webhook_docs_style"))

    dumped = webhook.to_dict()

    assert (dumped["status"], dumped["type"], dumped["objectType"]) == (
        "Enabled",
        "ValidatePurchaseOrderDraft",
        "Order",
    )
    assert dumped["criteria"] == {"product.id": "PRD-1111-1111"}
    assert dumped["lastSuccess"]["httpStatusCode"] == "OK"
    assert dumped["lastFailure"]["httpStatusCode"] == "Unauthorized"
    assert "status" not in dumped["lastFailure"]
    assert dumped["lastCall"]["httpStatusCode"] == "Unauthorized"
    assert dumped["lastSuccess"]["callTime"] == "2024-12-12T11:11:11Z"
    assert dumped["lastSuccess"]["headers"] == {"content-type": "application/json"}
    assert dumped["lastFailure"]["response"] == {"detail": "Unauthorized"}
    docs = fixture("webhook_docs_style")
    assert {k: v for k, v in dumped.items() if k not in docs} == {}


@pytest.mark.parametrize(
    ("status", "expected", "enabled"),
    [
        pytest.param("Enabled", "Enabled", True, id="pascal"),
        pytest.param("enabled", "Enabled", True, id="docs-lowercase"),
        pytest.param("disabled", "Disabled", False, id="disabled"),
        pytest.param("paused", "Paused", False, id="unknown-kept"),
        pytest.param(None, None, False, id="null"),
    ],
)
def test_status_casing(status: str | None, expected: str | None, enabled: bool) -> None:
    webhook = Webhook.from_dict({"status": status})

    assert webhook.status == expected
    assert webhook.is_enabled is enabled
    assert WebhookStatus.ENABLED == "Enabled"


@pytest.mark.parametrize(
    "criteria",
    [
        pytest.param({"product.id": "PRD-1"}, id="flat"),
        pytest.param(
            [{"key": "product.id", "value": "PRD-1"}, "junk", {"key": "no value"}],
            id="openapi-list",
        ),
    ],
)
def test_criteria_shapes(criteria: Any) -> None:
    assert Webhook.from_dict({"criteria": criteria}).criteria == {"product.id": "PRD-1"}


def test_docs_params_key_is_read_as_criteria() -> None:
    webhook = Webhook.from_dict({"params": {"product.id": "PRD-1"}})

    assert webhook.to_dict() == {"criteria": {"product.id": "PRD-1"}}


@pytest.mark.parametrize(
    ("wire", "name", "code"),
    [
        pytest.param({"httpStatusCode": "OK"}, "OK", 200, id="name"),
        pytest.param({"httpStatusCode": "200"}, "OK", 200, id="numeric-string"),
        pytest.param({"httpStatusCode": 504}, "GatewayTimeout", 504, id="number"),
        pytest.param({"status": "401"}, "Unauthorized", 401, id="docs-status-key"),
        pytest.param({"httpStatusCode": "599"}, "599", 599, id="unknown-number"),
        pytest.param({"httpStatusCode": "Teapot"}, "Teapot", None, id="unknown-name"),
        pytest.param({}, None, None, id="absent"),
    ],
)
def test_call_status(wire: dict[str, Any], name: str | None, code: int | None) -> None:
    call = Call.from_dict(wire)

    assert (call.http_status_code, call.status_code) == (name, code)


@pytest.mark.parametrize(
    "value",
    [pytest.param(True, id="bool"), pytest.param([200], id="list")],
)
def test_call_status_of_another_type_is_refused(value: Any) -> None:
    with pytest.raises(InvalidObjectError, match="httpStatusCode"):
        Call.from_dict({"httpStatusCode": value})


@pytest.mark.parametrize(
    "call_time",
    [
        pytest.param("2024-12-12T11:11:11", id="no-timezone"),
        pytest.param("2024-12-12T11:11:11Z", id="utc"),
        pytest.param("2024-12-12T12:11:11+01:00", id="offset"),
    ],
)
def test_call_time_with_or_without_timezone(call_time: str) -> None:
    call = Call.from_dict({"callTime": call_time})

    assert call.call_time == datetime(2024, 12, 12, 11, 11, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param('{"a": 1}', id="string"),
        pytest.param({"a": 1}, id="object"),
        pytest.param(None, id="null"),
    ],
)
def test_headers_and_response_as_strings_or_objects(value: Any) -> None:
    call = Call.from_dict({"headers": value, "response": value})

    assert call.to_dict() == {"headers": value, "response": value}


def test_a_call_built_by_the_simulator_dumps_the_openapi_shape() -> None:
    call = Call(
        success=True,
        call_time=datetime(2026, 5, 12, 11, 11, 11, tzinfo=UTC),
        http_status_code=http_status_name(200),
        reason_phrase="OK",
        headers="content-type: application/json",
        response="{}",
    )

    assert call.to_dict() == {
        "success": True,
        "callTime": "2026-05-12T11:11:11Z",
        "headers": "content-type: application/json",
        "response": "{}",
        "reasonPhrase": "OK",
        "httpStatusCode": "OK",
    }


def test_statistics_record_calls() -> None:
    stats = Statistics()
    for success in (False, False, True, False):
        stats.record(success=success)

    assert stats.to_dict() == {
        "total": 4,
        "successes": 1,
        "failures": 3,
        "failuresSinceLastSuccess": 1,
    }


def test_statistics_are_dumped_complete() -> None:
    assert Statistics.from_dict({"total": 1}).to_dict() == {
        "total": 1,
        "successes": 0,
        "failures": 0,
        "failuresSinceLastSuccess": 0,
    }


def test_webhook_id_is_optional_and_unknown_keys_are_kept() -> None:
    webhook = Webhook(url="https://example.com/hook", futureField=1)

    assert webhook.to_dict() == {"url": "https://example.com/hook", "futureField": 1}
