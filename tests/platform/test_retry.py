"""receiver.platform.retry: what is retried, how long it waits, when it stops."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from receiver.errors import PlatformError
from receiver.platform import RetryPolicy, WebhooksClient
from receiver.platform.retry import is_transient, retry_after, retry_options

from .conftest import TOKEN


@pytest.mark.parametrize(
    ("header", "expected"),
    [("0", 0.0), ("7", 7.0), ("", None), ("soon", None), ("-1", None), ("1.5", None)],
)
def test_retry_after_in_seconds(header: str, expected: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": header} if header else {})
    assert retry_after(response) == expected


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    later = email.utils.formatdate(now + 20, usegmt=True)
    earlier = email.utils.formatdate(now - 20, usegmt=True)

    assert (retry_after(httpx.Response(503, headers={"Retry-After": later}), now=now) or 0) >= 18
    assert retry_after(httpx.Response(503, headers={"Retry-After": earlier}), now=now) == 0.0


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("x"),
        httpx.ReadTimeout("x"),
        httpx.ConnectTimeout("x"),
        httpx.RemoteProtocolError("x"),
        httpx.ReadError("x"),
    ],
)
def test_transport_failures_are_transient(failure: Exception) -> None:
    assert is_transient(failure)


@pytest.mark.parametrize(
    "failure", [httpx.UnsupportedProtocol("x"), ValueError("x"), httpx.LocalProtocolError("x")]
)
def test_other_failures_are_not(failure: Exception) -> None:
    assert not is_transient(failure)


def test_a_request_that_is_not_idempotent_is_tried_once() -> None:
    once = retry_options(RetryPolicy(attempts=5), idempotent=False, label="POST /x")
    many = retry_options(RetryPolicy(attempts=5), idempotent=True, label="GET /x")

    assert once["stop"].stops[0].max_attempt_number == 1
    assert many["stop"].stops[0].max_attempt_number == 5


@pytest.mark.parametrize(
    "kwargs",
    [{"attempts": 0}, {"attempts": 1.5}, {"total": -1}, {"backoff": "1"}, {"max_backoff": -2}],
)
def test_a_policy_that_cannot_work_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_the_waits_grow_with_jitter_and_stay_bounded() -> None:
    seen: list[float] = []

    def always_503(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    policy = RetryPolicy(attempts=6, total=60, backoff=0.001, max_backoff=0.004)
    options = retry_options(policy, idempotent=True, label="GET /x")
    wait = options["wait"]

    class State:
        def __init__(self, attempt: int) -> None:
            self.attempt_number = attempt
            self.outcome = None

    for attempt in range(1, 7):
        seen.append(wait(State(attempt)))
    assert all(0.0005 <= value <= 0.004 for value in seen)
    assert max(seen[3:]) <= 0.004  # capped at max_backoff
    with (
        httpx.Client(transport=httpx.MockTransport(always_503)) as http,
        WebhooksClient("https://api.example.test", TOKEN, retry=policy, http_client=http) as api,
        pytest.raises(PlatformError, match="answered 503"),
    ):
        api.list()
