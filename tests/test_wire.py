"""The wire vocabulary: one table says which exception becomes which answer."""

from __future__ import annotations

import pytest

from receiver.errors import (
    AmbiguousHandlersError,
    ConfigurationError,
    RequestError,
    StoreUnavailableError,
    TokenError,
)
from receiver.wire import (
    ErrorId,
    Outcome,
    failure_answer,
    is_plausible_webhook_id,
)


@pytest.mark.parametrize(
    ("exc", "status", "error_id", "outcome"),
    [
        pytest.param(
            TokenError("expired", "Token expired."), 401, "expired", "unauthorized", id="token"
        ),
        pytest.param(
            RequestError(413, "body_too_large", "big"),
            413,
            "body_too_large",
            "bad_request",
            id="request",
        ),
        pytest.param(
            StoreUnavailableError("down"),
            503,
            "replay_guard_unavailable",
            "store_unavailable",
            id="store",
        ),
        pytest.param(
            AmbiguousHandlersError(["A", "B"], "here"),
            500,
            "ambiguous_webhook_type",
            "misconfigured",
            id="ambiguous",
        ),
        pytest.param(
            ConfigurationError("RECEIVER_SECRETS is not set"),
            500,
            "misconfigured",
            "misconfigured",
            id="config",
        ),
        pytest.param(KeyError("bug"), 500, "internal_error", "internal_error", id="bug"),
    ],
)
def test_each_exception_has_its_answer(
    exc: Exception, status: int, error_id: str, outcome: str
) -> None:
    answer = failure_answer(exc)
    assert (answer.status, answer.error_id, answer.outcome) == (status, error_id, outcome)
    assert answer.message


def test_what_the_answer_says_and_what_the_record_says() -> None:
    # A configuration problem is told in the log; the answer and the record stay generic.
    config = failure_answer(ConfigurationError("RECEIVER_SECRETS holds a PEM key"))
    assert "PEM" not in (config.message or "")
    assert config.record == "misconfigured"
    assert config.log == "Receiver misconfigured: %s"
    # An ambiguity is the vendor's to fix and names no secret: it is said in the answer.
    ambiguous = failure_answer(AmbiguousHandlersError(["A", "B"], "A Purchase"))
    assert "A, B" in (ambiguous.message or "")
    assert ambiguous.record == ambiguous.message
    bug = failure_answer(ZeroDivisionError("x"))
    assert bug.traceback
    assert bug.message == "The receiver failed; see its log."


@pytest.mark.parametrize(
    ("exc", "headers"),
    [
        pytest.param(
            TokenError("expired", "x"),
            {b"www-authenticate": b'Bearer error="invalid_token"'},
            id="401",
        ),
        pytest.param(RequestError(405, "method_not_allowed", "x"), {b"allow": b"POST"}, id="405"),
        pytest.param(RequestError(400, "bad_request", "x"), {}, id="400"),
        pytest.param(StoreUnavailableError("x"), {b"retry-after": b"1"}, id="503"),
    ],
)
def test_answers_carry_the_headers_http_expects(
    exc: Exception, headers: dict[bytes, bytes]
) -> None:
    assert dict(failure_answer(exc).headers) == headers


def test_error_ids_and_outcomes_are_their_wire_strings() -> None:
    assert ErrorId.BAD_SIGNATURE == "bad_signature"
    assert f"{Outcome.ACCEPTED}" == "accepted"
    assert len({member.value for member in ErrorId}) == len(ErrorId)


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        ("WBH-5433-8787", True),
        ("a", True),
        ("W" * 64, True),
        ("W" * 65, False),
        ("", False),
        ("-WBH", False),
        ("WBH 1", False),
        ("WBH-1\n", False),
        ("../../admin", False),
        ("WBH-é", False),
        (1234, False),
        (None, False),
    ],
)
def test_plausible_webhook_ids(value: object, plausible: bool) -> None:
    assert is_plausible_webhook_id(value) is plausible
