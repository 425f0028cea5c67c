"""One call, top to bottom. Each stage is one call into the module named for it:

    POST / or /<WebhookType>, Authorization: Bearer <jwt>, body: {...object...}
    CallPipeline.__call__
      _answer
        check the request          _http.check_call_request       405, 415
        start (at the first call)  start() -> Services            500 misconfigured
        verify the token           tokens.verify_call             401
        read the body              _http.read_body                400, 408, 413
        check for a replay         replay.ReplayGuard.check       401, 503
        resolve the type, parse    parsing + resolution           400, 404, 500
                                   (in a thread for large bodies)
        run the handler            dispatch.run                   (its answer, checked)
        or the failure policy      dispatch.failure_answer        500, or 200 reject/accept
      a refusal, from the table    wire.failure_answer            the exception's answer
      send                         _http.send_json                (x-request-id: requestid)
      the error hooks              lifecycle.Lifecycle.report_error (after the answer, bounded)
      record                       stats.call_record -> Statistics (+ flush.StatisticsFlusher)
      log                          calllog.log_call
      metrics, the server span     metrics.Metrics.observe, tracing.Tracing.describe_call

Collaborators come in through the constructor; nothing here reaches back into the Receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import anyio.to_thread

from receiver import calllog, dispatch, parsing, resolution
from receiver._http import Scope, check_call_request, header, read_body, send_json
from receiver.answers import error_body
from receiver.dispatch import CallContext, Handler
from receiver.errors import RequestError, TokenError
from receiver.flush import StatisticsFlusher
from receiver.metrics import Metrics
from receiver.models import ObjectModel
from receiver.replay import ReplayGuard
from receiver.requestid import request_id
from receiver.secrets import SecretSource
from receiver.settings import Settings
from receiver.stats import Statistics, call_record, iso_now
from receiver.store import Store
from receiver.tokens import VerifiedCall, verify_call
from receiver.tracing import SpanFactory, Tracing, no_span
from receiver.types import WebhookType
from receiver.wire import RETRY_SOON, ErrorId, Message, Outcome, failure_answer

if TYPE_CHECKING:
    from receiver.platform import AsyncWebhooksClient

logger = logging.getLogger("receiver")

# Bodies from this size on are parsed in a worker thread (a Purchase draft is 4-40 KB). The parse
# holds the GIL all the same, so the thread only lets other calls in between its slices, and under
# load the hand-offs cost more than they give for smaller bodies: with 64 KiB a 1000-line order
# (255 KB) cost 40% more CPU per call than parsed here. Below 1 MiB the loop waits at most a few
# tens of milliseconds on a slow machine.
PARSE_OFF_LOOP_FROM: Final = 1024 * 1024


@dataclass(slots=True)
class Services:
    """What a call needs that exists only once the receiver has started (``secrets`` is
    replaced when the app's secret source is)."""

    secrets: SecretSource
    store: Store
    statistics: Statistics
    replay: ReplayGuard | None
    flusher: StatisticsFlusher | None
    # The one model every handler takes, when there is one: the body is parsed straight into it.
    shared_model: type[ObjectModel] | None
    metrics: Metrics | None = None
    tracing: Tracing | None = None
    span: SpanFactory = no_span
    # The platform API client handlers get as ctx.platform (None: MPT_API_* not set).
    platform: AsyncWebhooksClient | None = None


class Call:
    """What is known about the call in progress (for its record and its log line)."""

    __slots__ = (
        "_headers",
        "error",
        "error_id",
        "failure",
        "object_id",
        "outcome",
        "request_id",
        "unverified_reason",
        "webhook_id",
        "webhook_type",
    )

    def __init__(self, webhook_type: WebhookType | None, request_id: str) -> None:
        self.webhook_type = webhook_type
        self.request_id = request_id
        # Set once a secret was found for the token's webhook: the call is then that webhook's.
        self.webhook_id: str | None = None
        self.unverified_reason: str | None = None
        self.object_id: str | None = None
        self.outcome = Outcome.UNKNOWN
        self.error: str | None = None
        self.error_id: str | None = None  # the id of a non-200 answer's body
        # A handler's failure and its context, for the error hooks (after the answer is sent).
        self.failure: tuple[BaseException, CallContext] | None = None
        self._headers: dict[str, str] | None = None

    def headers(self, scope: Scope) -> dict[str, str]:
        """The request headers without ``authorization``, decoded once per call."""
        if self._headers is None:
            self._headers = {
                key.decode("latin-1"): value.decode("latin-1")
                for key, value in scope.get("headers", ())
                if key != b"authorization"
            }
        return self._headers


class CallPipeline:
    """Serves the platform's calls: ``await pipeline(scope, receive, send, path_type)``."""

    def __init__(
        self,
        settings: Settings,
        handlers: Mapping[WebhookType, Handler],
        webhooks: Mapping[str, WebhookType],
        start: Callable[[], Services],
        *,
        current: Callable[[], Services | None] = lambda: None,
        state: Any = None,
        on_error: Callable[[BaseException, CallContext], None] | None = None,
    ) -> None:
        self._settings = settings
        self._state = state
        self._on_error = on_error
        self._options = settings.verify_options
        self._handlers = handlers
        self._webhooks = webhooks
        self._start = start
        self._current = current  # the services if started, without starting

    async def __call__(
        self, scope: Scope, receive: Any, send: Any, path_type: WebhookType | None
    ) -> None:
        started, call_time = time.monotonic(), iso_now()
        call = Call(path_type, request_id(scope.get("headers", ())))
        correlation = ((b"x-request-id", call.request_id.encode("ascii")),)
        headers: tuple[tuple[bytes, bytes], ...] = correlation
        try:
            status, body = await self._answer(scope, receive, call)
        except asyncio.CancelledError:
            # The server stops (uvicorn cancels calls still running when its graceful-shutdown
            # time is up): answer in JSON, as for every other failure, then let it stop.
            call.outcome = Outcome.CANCELLED
            with contextlib.suppress(Exception):
                await send_json(send, 503, _SHUTTING_DOWN, (*RETRY_SOON, *correlation))
            raise
        except Exception as exc:
            status, body, refusal_headers = self._refusal(exc, call)
            headers = (*refusal_headers, *correlation)
        services = self._current()
        if services is not None and services.tracing is not None:
            # Before the answer: the server span ends with its last byte.
            services.tracing.describe_call(
                webhook_id=call.webhook_id if call.unverified_reason is None else None,
                webhook_type=call.webhook_type,
                object_id=call.object_id,
                outcome=call.outcome,
            )
        with services.span("receiver.answer") if services is not None else no_span(""):
            await send_json(send, status, body, headers)
        if call.failure is not None and self._on_error is not None:
            self._on_error(*call.failure)
        if call.webhook_id is not None:
            self._record(call, status, body, call_time, scope)
        duration = time.monotonic() - started
        calllog.log_call(
            call.webhook_id,
            call.webhook_type,
            call.object_id,
            status,
            call.outcome,
            duration,
            call.request_id,
            call.error,
        )
        if services is not None and services.metrics is not None:
            services.metrics.observe(
                webhook_type=call.webhook_type,
                outcome=call.outcome,
                status=status,
                duration=duration,
                error_id=call.error_id,
                webhook_known=call.webhook_id is not None,
                deadline_missed=call.failure is not None
                and isinstance(call.failure[0], TimeoutError),
            )

    async def verify_only(self, scope: Scope, send: Any) -> None:
        """``POST /_receiver/verify``: check the call's token exactly as a call would, answer 204
        when it passes, and run no handler, record nothing (a secret rotation proves the new
        secret with it before the platform signs with it)."""
        try:
            if scope["method"] != "POST":
                raise RequestError(405, ErrorId.METHOD_NOT_ALLOWED, Message.NOT_POST)
            await self._verify(scope, self._start())
        except Exception as exc:
            status, body, headers = self._refusal(exc, Call(None, ""))
            await send_json(send, status, body, headers)
            return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def _answer(self, scope: Scope, receive: Any, call: Call) -> tuple[int, bytes]:
        check_call_request(scope)
        services = self._start()
        verified = await self._verify(scope, services)
        call.webhook_id = verified.webhook_id
        settings = self._settings
        body = await read_body(scope, receive, settings.max_body_size, settings.body_timeout)
        if services.replay is not None:
            await services.replay.check(verified.signature, verified.claims, body)
        if len(body) < PARSE_OFF_LOOP_FROM:
            handler, obj = self._parse(body, call, services.shared_model)
        else:  # other calls (and /healthz) go on while a large body is parsed
            handler, obj = await anyio.to_thread.run_sync(
                self._parse, body, call, services.shared_model
            )
        ctx = CallContext(
            webhook_id=verified.webhook_id,
            webhook_type=handler.webhook_type,
            claims=verified.claims,
            headers=call.headers(scope),
            deadline=handler.deadline or settings.deadline,
            request_id=call.request_id,
            state=self._state,
            platform_client=services.platform,
        )
        with services.span("receiver.handler"):
            ran = await dispatch.run(handler, obj, ctx, call.object_id or "")
        if ran.failure is None:
            call.outcome = Outcome.REFUSED if ran.refused else Outcome.ACCEPTED
            return 200, ran.payload
        call.error = ran.failure
        if ran.error is not None:
            call.failure = (ran.error, ctx)
        status, payload, call.outcome = dispatch.failure_answer(
            handler.failure_policy or settings.failure_policy,
            handler,
            body,
            clear_errors=settings.clear_errors,
            reject_message=settings.reject_message,
        )
        return status, payload

    async def _verify(self, scope: Scope, services: Services) -> VerifiedCall:
        """The call's token, checked (the same for a call and for the verify route)."""
        with services.span("receiver.verify"):
            return await verify_call(
                header(scope, b"authorization"),
                services.secrets,
                self._options,
                lookup_timeout=self._settings.secret_lookup_timeout,
                span=services.span,
            )

    def _parse(
        self, body: bytes, call: Call, shared_model: type[ObjectModel] | None
    ) -> tuple[Handler, Any]:
        """The call's handler and its argument, the body parsed once: straight into the model
        when it is known before the body is read, else into a dict that resolution reads."""
        parsing.check_numbers(body)
        handler = self._handlers.get(call.webhook_type) if call.webhook_type else None
        model = parsing.model_before_parsing(handler, shared_model)
        if model is not None:
            obj: Any = parsing.parse_model(model, body)
            call.object_id = obj.id
            view = resolution.resolution_view(obj)
        else:
            view = parsing.parse_object(body)
            call.object_id = view["id"]
        if handler is None:
            call.webhook_type, handler = resolution.resolve(
                call.webhook_type, call.webhook_id, self._webhooks, self._handlers, view
            )
        if handler is None:
            call.outcome = Outcome.NO_HANDLER
            hint = (
                f" Register one with `@app.{call.webhook_type.snake_name}`."
                if call.webhook_type
                else ""
            )
            raise RequestError(
                404,
                ErrorId.NO_HANDLER,
                f"No handler for {call.webhook_type or 'this object'}.{hint}",
            )
        clear_errors = self._settings.clear_errors
        if model is None:
            return handler, parsing.prepare(handler, view, clear_errors=clear_errors)
        if clear_errors:
            obj.clear_errors()
        return handler, obj

    def _refusal(
        self, exc: Exception, call: Call
    ) -> tuple[int, bytes, tuple[tuple[bytes, bytes], ...]]:
        """The answer to a call that raised, from the table in ``wire``."""
        answer = failure_answer(exc)
        if isinstance(exc, TokenError) and exc.webhook_id is not None:
            call.webhook_id = exc.webhook_id  # a refused call of a webhook we know
            # Its secret did not sign this token: not the platform's call (or a stale secret).
            call.unverified_reason = exc.reason if exc.reason == ErrorId.BAD_SIGNATURE else None
        if answer.traceback:
            logger.exception(answer.log)
        elif answer.log is not None:
            logger.error(answer.log, exc)
        if call.outcome is Outcome.UNKNOWN:  # keep a more precise one, e.g. "no_handler"
            call.outcome = answer.outcome
        call.error = answer.record or answer.message
        call.error_id = answer.error_id
        assert answer.error_id is not None  # failure_answer fills both in
        assert answer.message is not None
        return answer.status, error_body(answer.error_id, answer.message), answer.headers

    def _record(self, call: Call, status: int, body: bytes, call_time: str, scope: Scope) -> None:
        """The call's record in the statistics of its webhook (and for the shared store). A call
        whose token the webhook's secret did not sign is only counted, apart, with its reason:
        nobody without the secret can change the webhook's numbers, last calls or type."""
        assert call.webhook_id is not None
        services = self._start()
        if call.unverified_reason is not None:
            services.statistics.record_unverified(
                call.webhook_id, call.unverified_reason, call_time
            )
            if services.flusher is not None:
                services.flusher.record_unverified(
                    call.webhook_id, call.unverified_reason, call_time
                )
            return
        record = call_record(
            status=status,
            call_time=call_time,
            response_time=iso_now(),
            error=call.error,
            response=body,
            headers="\n".join(map(": ".join, call.headers(scope).items())),
            webhook_type=call.webhook_type,
            object_id=call.object_id,
            outcome=call.outcome,
            request_id=call.request_id,
        )
        services.statistics.record(call.webhook_id, record)
        if services.flusher is not None:
            services.flusher.record(call.webhook_id, record)


_SHUTTING_DOWN = error_body(ErrorId.SHUTTING_DOWN, Message.SHUTTING_DOWN)
