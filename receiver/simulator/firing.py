"""Calling a vendor's webhook the way the platform does (platform.md §1, §2.1, §3.4).

One call: ``POST <url>`` with the object as JSON, ``Authorization: Bearer <token>`` where the
token is signed with :func:`receiver.tokens.sign` over :func:`receiver.tokens.platform_claims`
(``aud`` = the URL's host), freshly for every attempt. Then:

==================================  ========================================================
the vendor answers                  outcome
==================================  ========================================================
2xx, a JSON object with the id      ``answered`` (a success)
2xx, anything else                  ``unparseable``; retried twice, ``retry_delay`` apart
2xx, a JSON object for another id   ``wrong_object`` (a failure, not retried)
non-2xx                             ``vendor_error``
nothing within ``call_timeout``     ``timeout``; recorded as ``GatewayTimeout`` (504)
connection refused, DNS, TLS, ...   ``unreachable``; recorded as ``ServiceUnavailable`` (503)
==================================  ========================================================

Every attempt is one call in the webhook's statistics and becomes its ``lastCall`` (and
``lastSuccess`` or ``lastFailure``), so the numbers match what the vendor's receiver counts.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final

import httpx
import pydantic_core

from receiver import tokens
from receiver.models.webhook import Call
from receiver.simulator.records import WebhookRecord
from receiver.simulator.store import Store

RETRIES: Final = 2
"""Extra attempts after an unparseable 2xx answer (platform.md §3.4.3)."""
RESPONSE_EXCERPT: Final = 2048
"""Characters of the vendor's answer kept in a call object."""
MAX_ANSWER_SIZE: Final = 5 * 1024 * 1024
USER_AGENT: Final = "mpt-receiver-simulator"

ANSWERED: Final = "answered"
UNPARSEABLE: Final = "unparseable"
WRONG_OBJECT: Final = "wrong_object"
VENDOR_ERROR: Final = "vendor_error"
TIMEOUT: Final = "timeout"
UNREACHABLE: Final = "unreachable"


@dataclass(slots=True)
class CallResult:
    """What came of calling a webhook (the last attempt when there were several)."""

    outcome: str
    call: dict[str, Any]
    attempts: int = 1
    status_code: int | None = None
    body: bytes = b""
    content_type: str | None = None
    answer: dict[str, Any] | None = None

    @property
    def error(self) -> str | None:
        error = self.call.get("error")
        return error if isinstance(error, str) else None


class Firer:
    """Calls webhooks and records each call on the webhook in ``store``.

    ``http_client`` is used as given (and never closed here); without one, a client is made on
    first use in the running event loop and closed by :meth:`aclose`.
    """

    def __init__(
        self,
        store: Store,
        *,
        call_timeout: float,
        retry_delay: float,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.store = store
        self.call_timeout = call_timeout
        self.retry_delay = retry_delay
        self._given_client = http_client
        self._own_client: httpx.AsyncClient | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> httpx.AsyncClient:
        if self._given_client is not None:
            return self._given_client
        loop = asyncio.get_running_loop()
        if self._own_client is None or self._own_loop is not loop:
            # A connection pool belongs to one event loop; the app may be served by several
            # (a test's loop, then a server thread's).
            self._own_client = httpx.AsyncClient(follow_redirects=False)
            self._own_loop = loop
        return self._own_client

    async def aclose(self) -> None:
        """Close the client this firer made (a given client is the caller's to close)."""
        client, self._own_client = self._own_client, None
        if client is not None and self._own_loop is asyncio.get_running_loop():
            await client.aclose()

    async def fire(self, webhook: WebhookRecord, obj: Mapping[str, Any]) -> CallResult:
        """Call ``webhook`` with ``obj``; retry an unparseable 2xx answer; record every call."""
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        attempt = 0
        while True:
            attempt += 1
            result = await self._attempt(webhook, body, str(obj.get("id", "")))
            result.attempts = attempt
            if result.outcome == UNPARSEABLE and attempt <= RETRIES:
                result.call["error"] += f" (attempt {attempt} of {RETRIES + 1}; retrying)"
            self.store.update_webhook(
                webhook.id, functools.partial(WebhookRecord.record_call, call=result.call)
            )
            if result.outcome != UNPARSEABLE or attempt > RETRIES:
                return result
            await asyncio.sleep(self.retry_delay)

    async def _attempt(self, webhook: WebhookRecord, body: bytes, object_id: str) -> CallResult:
        client = self._client()
        url = httpx.URL(webhook.url)
        token = tokens.sign(webhook.secret, tokens.platform_claims(webhook.id, audience=url.host))
        request = client.build_request(
            "POST",
            url,
            content=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            # httpx's own per-phase timeouts (5 s by default) must not cut the call short.
            timeout=self.call_timeout,
        )
        call_time = datetime.now(UTC)
        call: dict[str, Any] = {"callTime": call_time, "headers": _headers_text(request)}
        try:
            async with asyncio.timeout(self.call_timeout):
                answer = await _send(client, request)
        except (TimeoutError, httpx.TimeoutException):
            return _failed(
                TIMEOUT, call, 504, f"No answer within {self.call_timeout:g} s (call timeout)."
            )
        except Exception as exc:  # a vendor app in-process may raise anything
            detail = str(exc)[:300] or "no detail"
            return _failed(
                UNREACHABLE,
                call,
                503,
                f"Could not reach {url.host}: {type(exc).__name__}: {detail}",
            )
        call.update(
            responseTime=datetime.now(UTC),
            httpStatusCode=answer.status,
            reasonPhrase=answer.reason,
            response=answer.body[:RESPONSE_EXCERPT].decode("utf-8", "replace"),
        )
        result = CallResult(
            VENDOR_ERROR,
            call,
            status_code=answer.status,
            body=answer.body,
            content_type=answer.content_type,
        )
        if not 200 <= answer.status < 300:
            call["error"] = f"The vendor answered HTTP {answer.status} {answer.reason}."
        else:
            _read_answer(result, object_id, too_large=answer.too_large)
        call["success"] = result.outcome == ANSWERED
        call.setdefault("error", None)  # every field of the call object (platform.md §4.3)
        result.call = Call.from_dict(call).to_dict()
        return result


async def _send(client: httpx.AsyncClient, request: httpx.Request) -> _Answer:
    response = await client.send(request, stream=True)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_ANSWER_SIZE:
                break
            chunks.append(chunk)
    finally:
        await response.aclose()
    return _Answer(
        response.status_code,
        response.reason_phrase,
        b"".join(chunks),
        response.headers.get("content-type"),
        too_large=size > MAX_ANSWER_SIZE,
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    reason: str
    body: bytes
    content_type: str | None
    too_large: bool


def _read_answer(result: CallResult, object_id: str, *, too_large: bool) -> None:
    """Classify a 2xx answer: a JSON object for this object, or not."""
    if too_large:
        result.outcome = UNPARSEABLE
        result.call["error"] = f"The answer is larger than {MAX_ANSWER_SIZE} bytes."
        return
    try:
        answer = pydantic_core.from_json(result.body, allow_inf_nan=False) if result.body else None
    except ValueError as exc:
        result.outcome = UNPARSEABLE
        result.call["error"] = f"The answer is not JSON: {exc}."
        return
    if not isinstance(answer, dict):
        result.outcome = UNPARSEABLE
        result.call["error"] = "The answer is not a JSON object."
        return
    if answer.get("id") != object_id:
        result.outcome = WRONG_OBJECT
        result.call["error"] = (
            f"The answer's id {answer.get('id')!r} is not the id of the object sent"
            f" ({object_id!r}); the answer was not applied."
        )
        return
    result.outcome = ANSWERED
    result.answer = answer


def _failed(outcome: str, call: dict[str, Any], status: int, error: str) -> CallResult:
    # No answer: the call object carries the status the platform's proxy would report.
    call.update(
        success=False,
        responseTime=None,
        httpStatusCode=status,
        reasonPhrase=HTTPStatus(status).phrase,
        response=None,
        error=error,
    )
    return CallResult(outcome, Call.from_dict(call).to_dict())


def _headers_text(request: httpx.Request) -> str:
    """The request headers as sent, one ``Name: value`` a line, the token left out."""
    lines = []
    for raw_name, raw_value in request.headers.raw:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name.lower() == "authorization":
            value = value.split(" ", 1)[0] + " [redacted]"
        lines.append(f"{name}: {value}")
    return "\n".join(lines)
