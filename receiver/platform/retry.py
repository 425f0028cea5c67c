"""Retrying the platform API's transient failures: connection errors and timeouts, 429 (after
its ``Retry-After``), 502, 503 and 504; for idempotent requests only (GET, PUT, DELETE, and the
enable/disable POSTs, which set a status: platform.md §4.6); with exponential backoff and
jitter; bounded in attempts and in total time. Built on ``tenacity``, which has a sync and an
async loop over one policy.

    >>> policy = RetryPolicy(attempts=3, total=10)
    >>> options = retry_options(policy, idempotent=False, label="POST /x")
    >>> options["stop"].stops[0].max_attempt_number   # a create is tried once
    1
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

logger = logging.getLogger("receiver.platform")

TRANSIENT_STATUSES: Final = frozenset({429, 502, 503, 504})
# Failures after which the request may not have reached the server or not been answered.
TRANSIENT_ERRORS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How an idempotent request is retried: at most ``attempts`` tries (the first included),
    none started after ``total`` seconds, waiting ``backoff`` x 2^n seconds with jitter
    (at most ``max_backoff``) in between, or what ``Retry-After`` says.

    ``RetryPolicy(attempts=1)`` never retries.
    """

    attempts: int = 4
    total: float = 30.0
    backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if not (isinstance(self.attempts, int) and self.attempts >= 1):
            raise ValueError(f"attempts must be a whole number >= 1, not {self.attempts!r}.")
        for name in ("total", "backoff", "max_backoff"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}.")


class _TransientAnswer(Exception):
    """Raised inside an attempt for a 429/502/503/504 answer, so that it is retried; the client
    turns the last one back into its answer (and so its error) when retries are over."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after(response)


def raise_if_transient(response: httpx.Response) -> None:
    """Raise :class:`_TransientAnswer` for an answer that is worth retrying."""
    if response.status_code in TRANSIENT_STATUSES:
        raise _TransientAnswer(response)


def is_transient(exc: BaseException) -> bool:
    """Whether a failed attempt may be retried."""
    return isinstance(exc, (_TransientAnswer, *TRANSIENT_ERRORS))


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); None without one.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "3"}))
    3.0
    >>> retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None
    True
    """
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _Wait:
    """``Retry-After`` when the answer has one, else ``backoff`` x 2^(n-1), drawn at random
    from its upper half (jitter, so that clients do not retry in step)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _TransientAnswer) and failure.retry_after is not None:
            return failure.retry_after
        high = min(self.policy.max_backoff, self.policy.backoff * 2 ** (state.attempt_number - 1))
        return random.uniform(high / 2, high)  # noqa: S311 - jitter, not a secret


def _describe(failure: BaseException | None) -> str:
    if isinstance(failure, _TransientAnswer):
        return f"answered {failure.response.status_code}"
    return f"failed ({type(failure).__name__})"


def retry_options(policy: RetryPolicy, *, idempotent: bool, label: str) -> dict[str, Any]:
    """The arguments of ``tenacity.Retrying`` / ``AsyncRetrying`` for one request. The last
    failure is raised as it is when retries are over (``reraise``)."""
    attempts = policy.attempts if idempotent else 1

    def log(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        # The label has no host and no query; tokens and secrets are never in it.
        logger.warning(
            "%s %s; retrying in %.2f s (attempt %d of %d)",
            label,
            _describe(failure),
            state.upcoming_sleep,
            state.attempt_number + 1,
            attempts,
        )

    return {
        "stop": stop_after_attempt(attempts) | stop_before_delay(policy.total),
        "wait": _Wait(policy),
        "retry": retry_if_exception(is_transient),
        "reraise": True,
        "before_sleep": log,
    }
