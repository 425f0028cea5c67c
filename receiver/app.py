"""The Receiver: an ASGI app that verifies the platform's calls, dispatches them to handlers by
webhook type and answers with the object as the handler left it.

    from receiver import Receiver

    app = Receiver(secrets={"WBH-5433-8787": "s3cret"})

    @app.validate_purchase_order_draft
    async def check(order):
        if not order.parameter("companyName").value:
            order.parameter("companyName").set_error("ACME001", "Company name is required.")
        return order

``uvicorn mymodule:app`` serves it; ``Mount("/mpt", app)`` in Starlette or
``fastapi_app.mount("/mpt", app)`` works too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import pydantic_core

from receiver import answers, tokens
from receiver._deadline import run_with_deadline
from receiver._http import (
    Scope,
    header,
    is_json_content_type,
    read_body,
    route_path,
    send_json,
)
from receiver.dispatch import (
    CallContext,
    FailurePolicy,
    Handler,
    check_failure_policy,
    make_handler,
    resolve_from_body,
)
from receiver.errors import (
    AmbiguousHandlersError,
    AnswerError,
    ConfigurationError,
    DuplicateHandlerError,
    InvalidObjectError,
    RegistrationClosedError,
    RequestError,
    StoreUnavailableError,
    TokenError,
)
from receiver.models import MODEL_BY_OBJECT_TYPE, ObjectModel
from receiver.secrets import SecretSource, as_secret_source, from_env, is_plausible_webhook_id
from receiver.stats import (
    PendingStatistics,
    Statistics,
    StatsDelta,
    WebhookStats,
    call_record,
    iso_now,
)
from receiver.store import DEFAULT_TIMEOUT, Store, as_store
from receiver.types import (
    ANSWER,
    KNOWN_WEBHOOK_TYPES,
    PURCHASE_WEBHOOK_TYPES,
    ObjectType,
    WebhookType,
    parse_known_webhook_type,
)

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger("receiver")
call_logger = logging.getLogger("receiver.calls")

DEFAULT_REJECT_MESSAGE = (
    "This order could not be validated right now. Please try again in a few minutes."
)
REJECT_ERROR_ID = "RCV-VALIDATION-FAILED"
ADMIN_PREFIX = "/_receiver/webhooks"
REPLAYED = "token_replayed"
MAX_REPLAY_TTL = 86_400  # seconds a seen token is remembered at most
ReplayFailMode = Literal["open", "closed"]
OPENAPI_PATH = "/_receiver/openapi.json"


class Receiver:
    """The ASGI app. See the module docstring for an example.

    Args:
        secrets: where the webhooks' shared secrets come from: a mapping
            ``{webhook_id: secret | [secret, ...]}`` (several = rotation), a
            :class:`receiver.secrets.SecretSource`, or a sync/async callable
            ``f(webhook_id) -> secret | [secrets] | None``. None reads ``RECEIVER_SECRETS``.
        webhooks: ``{webhook_id: webhook_type}``; tells calls on one URL apart.
        failure_policy: when a handler raises or misses its deadline: ``"error"`` (500),
            ``"reject"`` (200 with an error on the object), ``"accept"`` (200, object unchanged).
        deadline: seconds a handler may take.
        admin_token: enables ``GET /_receiver/webhooks`` (statistics) for this Bearer token.
        max_body_size: bytes; larger bodies get 413.
        body_timeout: seconds the request body may take to arrive; slower gets 408.
        leeway: seconds of clock skew tolerated on ``exp``/``nbf``/``iat``.
        max_token_age: seconds; tokens issued longer ago are refused (None: no limit).
        issuer, audience: checked only when set.
        clear_errors: clear the object's previous errors before the handler runs.
        reject_message: the message of the ``"reject"`` policy's error.
        store: shared state (seen tokens, statistics): a :class:`receiver.store.Store`, a URL
            (``"memory"``, ``"redis://host:6379/0"``), or None to read ``RECEIVER_STORE``
            (memory when unset).
        replay_guard: refuse a token already used for a different body (401
            ``token_replayed``); the same token with the same body (the platform's retry) passes.
        replay_fail_mode: when the store cannot be reached: ``"open"`` lets calls through
            without the check (logged), ``"closed"`` answers 503.
        store_timeout: seconds a store operation may take (for a store given as a URL).
        stats_flush_interval: seconds between flushes of statistics to a shared store.
    """

    def __init__(
        self,
        secrets: object = None,
        webhooks: Mapping[str, str] | None = None,
        failure_policy: str = "error",
        deadline: float = 10.0,
        admin_token: str | None = None,
        max_body_size: int = 5 * 1024 * 1024,
        body_timeout: float = 10.0,
        leeway: float = 30,
        max_token_age: float | None = 330,
        issuer: str | None = None,
        audience: str | Sequence[str] | None = None,
        clear_errors: bool = True,
        reject_message: str = DEFAULT_REJECT_MESSAGE,
        store: object = None,
        replay_guard: bool = False,
        replay_fail_mode: str = "open",
        store_timeout: float = DEFAULT_TIMEOUT,
        stats_flush_interval: float = 1.0,
    ) -> None:
        self._secrets: SecretSource | None = None if secrets is None else as_secret_source(secrets)
        self.webhooks: dict[str, WebhookType] = {
            webhook_id: parse_known_webhook_type(webhook_type)
            for webhook_id, webhook_type in (webhooks or {}).items()
        }
        self.failure_policy: FailurePolicy = check_failure_policy(failure_policy)
        if not deadline > 0:
            raise ConfigurationError(
                f"deadline must be a positive number of seconds, not {deadline!r}."
            )
        self.deadline = float(deadline)
        if admin_token is not None and len(admin_token) < 16:
            raise ConfigurationError(
                "admin_token must be at least 16 characters; generate one with"
                " `python -c 'import secrets; print(secrets.token_urlsafe())'`."
            )
        self._admin_token = admin_token.encode() if admin_token is not None else None
        if not max_body_size > 0:
            raise ConfigurationError(
                f"max_body_size must be a positive number of bytes, not {max_body_size!r}."
            )
        self.max_body_size = int(max_body_size)
        if not body_timeout > 0:
            raise ConfigurationError(
                f"body_timeout must be a positive number of seconds, not {body_timeout!r}."
            )
        self.body_timeout = float(body_timeout)
        self.verify_options = tokens.VerifyOptions(
            leeway=float(leeway),
            max_age=None if max_token_age is None else float(max_token_age),
            issuer=issuer,
            audience=audience,
        )
        self.clear_errors = clear_errors
        if not 1 <= len(reject_message) <= 4000:
            raise ConfigurationError("reject_message must be 1 to 4000 characters long.")
        self.reject_message = reject_message
        self.statistics = Statistics()
        if replay_fail_mode not in ("open", "closed"):
            raise ConfigurationError(
                f"replay_fail_mode must be 'open' or 'closed', not {replay_fail_mode!r}."
            )
        self.replay_fail_mode: ReplayFailMode = replay_fail_mode  # type: ignore[assignment]
        self.replay_guard = bool(replay_guard)
        if not store_timeout > 0:
            raise ConfigurationError(
                f"store_timeout must be a positive number of seconds, not {store_timeout!r}."
            )
        if not stats_flush_interval > 0:
            raise ConfigurationError(
                "stats_flush_interval must be a positive number of seconds,"
                f" not {stats_flush_interval!r}."
            )
        self.stats_flush_interval = float(stats_flush_interval)
        self._store_timeout = float(store_timeout)
        self._store: Store | None = (
            None if store is None else as_store(store, timeout=self._store_timeout)
        )
        self._pending: PendingStatistics | None = None
        # A flush that failed is sent again as it was, with its number (never merged with newer
        # calls), so that a store which did apply it can tell (see Store.merge_statistics).
        self._unsent: tuple[int, dict[str, StatsDelta]] | None = None
        self._flush_sequence = 0
        self._flush_origin = (os.getpid(), uuid.uuid4().hex)
        self._flusher: asyncio.Task[None] | None = None
        self._flusher_loop: asyncio.AbstractEventLoop | None = None
        self._replay_skipped = 0
        self._handlers: dict[WebhookType, Handler] = {}
        self._shared_model: type[ObjectModel] | None = None
        self._started = False

    # -- registration -------------------------------------------------------------------------

    def add_handler(
        self,
        webhook_type: str,
        fn: Callable[..., Any],
        *,
        deadline: float | None = None,
        failure_policy: str | None = None,
        raw: bool | None = None,
        allow_unknown: bool = False,
    ) -> None:
        """Register ``fn`` for ``webhook_type`` (PascalCase or lowerCamelCase).

        ``fn`` is sync or async and takes ``(obj)`` or ``(obj, ctx)``. It gets the typed model
        of the type's object (``Order``, ``Account``, ...), or the raw ``dict`` when ``raw=True``
        or its first parameter is annotated ``dict``. ``deadline`` and ``failure_policy``
        override the receiver's for this handler.
        """
        kind = (
            WebhookType(webhook_type) if allow_unknown else parse_known_webhook_type(webhook_type)
        )
        if self._started:
            raise RegistrationClosedError(kind)
        handler = make_handler(kind, fn, deadline=deadline, failure_policy=failure_policy, raw=raw)
        existing = self._handlers.get(kind)
        if existing is not None:
            raise DuplicateHandlerError(kind, existing.name, handler.name)
        self._handlers[kind] = handler

    def on(
        self,
        webhook_type: str,
        *,
        deadline: float | None = None,
        failure_policy: str | None = None,
        raw: bool | None = None,
        allow_unknown: bool = False,
    ) -> Callable[[F], F]:
        """Decorator form of :meth:`add_handler`; returns the function unchanged."""

        def decorator(fn: F) -> F:
            self.add_handler(
                webhook_type,
                fn,
                deadline=deadline,
                failure_policy=failure_policy,
                raw=raw,
                allow_unknown=allow_unknown,
            )
            return fn

        return decorator

    def validate_purchase_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidatePurchaseOrderDraft (a Purchase order in Draft)."""
        return self.on("ValidatePurchaseOrderDraft")(fn)

    def validate_purchase_order_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidatePurchaseOrderQuerying (a Purchase order in Querying)."""
        return self.on("ValidatePurchaseOrderQuerying")(fn)

    def validate_change_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateChangeOrderDraft (a Change order in Draft)."""
        return self.on("ValidateChangeOrderDraft")(fn)

    def validate_terminate_order(self, fn: F) -> F:
        """Register ``fn`` for ValidateTerminateOrder (a Termination order)."""
        return self.on("ValidateTerminateOrder")(fn)

    def validate_configuration_order_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateConfigurationOrderDraft (a Configuration order)."""
        return self.on("ValidateConfigurationOrderDraft")(fn)

    def select_order_lines(self, fn: F) -> F:
        """Register ``fn`` for SelectOrderLines (an Order; the handler adjusts its lines)."""
        return self.on("SelectOrderLines")(fn)

    def validate_request(self, fn: F) -> F:
        """Register ``fn`` for ValidateRequest (a Request; deprecated by the platform)."""
        return self.on("ValidateRequest")(fn)

    def validate_account(self, fn: F) -> F:
        """Register ``fn`` for ValidateAccount (an Account; the platform may never send it)."""
        return self.on("ValidateAccount")(fn)

    def validate_enrollment_draft(self, fn: F) -> F:
        """Register ``fn`` for ValidateEnrollmentDraft (an Enrollment)."""
        return self.on("ValidateEnrollmentDraft")(fn)

    def validate_enrollment_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidateEnrollmentQuerying (an Enrollment in Querying)."""
        return self.on("ValidateEnrollmentQuerying")(fn)

    def validate_re_enrollment(self, fn: F) -> F:
        """Register ``fn`` for ValidateReEnrollment (an Enrollment of type Change)."""
        return self.on("ValidateReEnrollment")(fn)

    def validate_re_enrollment_querying(self, fn: F) -> F:
        """Register ``fn`` for ValidateReEnrollmentQuerying (an Enrollment)."""
        return self.on("ValidateReEnrollmentQuerying")(fn)

    def validate_answer(self, fn: F) -> F:
        """Register ``fn`` for ValidateAnswer (a helpdesk form answer; shape unknown)."""
        return self.on("ValidateAnswer")(fn)

    @property
    def secret_source(self) -> SecretSource | None:
        """Where secrets come from; None until startup when ``secrets=`` was not given (then
        ``RECEIVER_SECRETS`` is read). Assign a mapping, callable or source to replace it, e.g.
        to trust a test webhook (the pytest plugin does this)."""
        return self._secrets

    @secret_source.setter
    def secret_source(self, secrets: object) -> None:
        # None: read RECEIVER_SECRETS again at the next startup or call.
        self._secrets = None if secrets is None else as_secret_source(secrets)

    @property
    def store(self) -> Store | None:
        """The shared-state store; None until startup when ``store=`` was not given (then
        ``RECEIVER_STORE`` is read)."""
        return self._store

    @property
    def started(self) -> bool:
        """True once the receiver has started (lifespan startup or its first call): from then on
        handlers can no longer be registered."""
        return self._started

    @property
    def handlers(self) -> Mapping[WebhookType, Handler]:
        """The registered handlers by webhook type (read-only view)."""
        return dict(self._handlers)

    # -- startup ------------------------------------------------------------------------------

    def startup(self) -> None:
        """Close registration and check the configuration; runs at ASGI lifespan startup, or at
        the first call when mounted in an app that does not forward lifespan events."""
        if self._secrets is None:
            self._secrets = from_env()
        if self._started:
            return
        if self._store is None:
            self._store = as_store(None, timeout=self._store_timeout)
        if self._store.shared:
            self._pending = PendingStatistics()
        self._started = True
        kinds = {_object_type(handler) for handler in self._handlers.values()}
        if len(kinds) == 1 and not any(handler.raw for handler in self._handlers.values()):
            self._shared_model = MODEL_BY_OBJECT_TYPE[kinds.pop()]
        for problem in self.configuration_warnings():
            logger.warning(problem)

    def configuration_warnings(self) -> list[str]:
        """What in the configuration will make calls fail (each a sentence saying what to do)."""
        problems: list[str] = []
        if not self._handlers:
            problems.append(
                "No handlers are registered: every call will get 404. Add one, e.g."
                " `@app.validate_purchase_order_draft`."
            )
        known_ids = self._secrets.known_webhook_ids() if self._secrets is not None else None
        for webhook_id, webhook_type in sorted(self.webhooks.items()):
            if webhook_type not in self._handlers:
                problems.append(
                    f"webhooks= maps {webhook_id} to {webhook_type}, which has no handler; add"
                    f" `@app.{webhook_type.snake_name}`."
                )
            if known_ids is not None and webhook_id not in known_ids:
                problems.append(
                    f"webhooks= names {webhook_id}, which has no secret; its calls will be refused."
                )
        shared = _types_sharing_a_body(self._handlers)
        if shared and not self.webhooks:
            problems.append(
                f"{' and '.join(sorted(shared))} can receive the same object: calls on the shared"
                " URL (POST /) need Receiver(webhooks={webhook_id: type}) to tell them apart, or"
                " each webhook its own path (POST /<WebhookType>)."
            )
        return problems

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket: not ours; returning without accepting closes it.

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.startup()
                except ConfigurationError as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                self._ensure_flusher()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def shutdown(self) -> None:
        """Flush statistics to a shared store and close connections; runs at ASGI lifespan
        shutdown (call it yourself when mounted in an app that does not forward lifespan)."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None and self._flusher_loop is asyncio.get_running_loop():
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        if not await self.flush_statistics():
            unsent = self._unsent[1] if self._unsent is not None else {}
            calls = sum(delta.total for delta in unsent.values())
            if self._pending is not None:
                calls += sum(delta.total for delta in self._pending.take().values())
            logger.warning(
                "Stopping with the statistics of %d calls not flushed: the store is unavailable.",
                calls,
            )
        closer = getattr(self._secrets, "aclose", None)
        if closer is not None:
            await closer()
        if self._store is not None:
            await self._store.aclose()

    # -- shared statistics --------------------------------------------------------------------

    def _ensure_flusher(self) -> None:
        """Start the periodic flush of statistics to a shared store in this event loop (again
        after a fork: the parent's task does not exist in the child)."""
        if self._pending is None:
            return
        loop = asyncio.get_running_loop()
        if self._flusher is not None and self._flusher_loop is loop and not self._flusher.done():
            return
        self._flusher_loop = loop
        self._flusher = loop.create_task(self._flush_periodically(), name="receiver-stats-flush")

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.stats_flush_interval)
            try:
                await self.flush_statistics()
            except Exception:  # never let the task die: the next tick tries again
                logger.exception("Flushing statistics failed")

    async def flush_statistics(self) -> bool:
        """Send the statistics recorded since the last flush to the shared store. False when the
        store is unavailable: they stay here and go with the next flush."""
        if self._pending is None or self._store is None:
            return True
        if os.getpid() != self._flush_origin[0]:
            # A forked child is a process of its own: what it inherited is the parent's to send.
            self._flush_origin, self._unsent = (os.getpid(), uuid.uuid4().hex), None
            self._pending = PendingStatistics()
        while True:
            if self._unsent is None:
                if not len(self._pending):
                    return True
                self._flush_sequence += 1
                self._unsent = (self._flush_sequence, self._pending.take())
            sequence, deltas = self._unsent
            try:
                await self._store.merge_statistics(
                    deltas, origin=self._flush_origin[1], sequence=sequence
                )
            except Exception as exc:  # kept as they are; sent again, same number, next time
                if not isinstance(exc, StoreUnavailableError):
                    logger.error("Flushing statistics failed: %s", type(exc).__name__)
                return False
            self._unsent = None

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        path = route_path(scope).rstrip("/") or "/"
        if path == "/healthz":
            if not await self._only_get(scope, send):
                await send_json(send, 200, b'{"status":"ok"}')
            return
        if path == OPENAPI_PATH:
            if not await self._only_get(scope, send):
                from receiver.openapi import openapi_json

                await send_json(send, 200, openapi_json(self))
            return
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            await self._admin(scope, send, path[len(ADMIN_PREFIX) :].strip("/"))
            return
        if path == "/":
            await self._serve_call(scope, receive, send, None)
            return
        segment = path[1:]
        if "/" not in segment and WebhookType(segment).known:
            await self._serve_call(scope, receive, send, WebhookType(segment))
            return
        await send_json(
            send,
            404,
            answers.error_body(
                "not_found",
                "Not found. The platform's calls go to POST / or POST /<WebhookType>"
                " (e.g. /ValidatePurchaseOrderDraft).",
            ),
        )

    async def _only_get(self, scope: Scope, send: Any) -> bool:
        if scope["method"] in ("GET", "HEAD"):
            return False
        await send_json(
            send,
            405,
            answers.error_body("method_not_allowed", "Use GET."),
            [(b"allow", b"GET, HEAD")],
        )
        return True

    async def _admin(self, scope: Scope, send: Any, webhook_id: str) -> None:
        if self._admin_token is None:
            await send_json(send, 404, answers.error_body("not_found", "Not found."))
            return
        if await self._only_get(scope, send):
            return
        given = header(scope, b"authorization") or b""
        scheme, _, credentials = given.partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials, self._admin_token):
            await send_json(
                send,
                401,
                answers.error_body("unauthorized", "Send Authorization: Bearer <admin_token>."),
                [(b"www-authenticate", b"Bearer")],
            )
            return
        try:
            entries, scope_name = await self._statistics_view()
        except ConfigurationError as exc:  # e.g. RECEIVER_SECRETS unset: the calls fail too
            logger.error("Receiver misconfigured: %s", exc)
            await send_json(
                send,
                500,
                answers.error_body("misconfigured", "The receiver is misconfigured; see its log."),
            )
            return
        if not webhook_id:
            data = [stats.to_wire() for stats in entries]
            body = {
                "$meta": {
                    "pagination": {"offset": 0, "limit": len(data), "total": len(data)},
                    "scope": scope_name,
                },
                "data": data,
            }
            await send_json(send, 200, pydantic_core.to_json(body))
            return
        stats = next((entry for entry in entries if entry.webhook_id == webhook_id), None)
        if stats is None:
            await send_json(
                send, 404, answers.error_body("not_found", f"No calls recorded for {webhook_id}.")
            )
            return
        await send_json(
            send, 200, pydantic_core.to_json({**stats.to_wire(), "$meta": {"scope": scope_name}})
        )

    async def _statistics_view(self) -> tuple[list[WebhookStats], str]:
        """The statistics to show and their scope: ``"deployment"`` (from the shared store,
        with this process's latest calls flushed first) or ``"process"`` (this process only:
        no shared store, or it is unavailable)."""
        self.startup()
        if self._store is not None and self._store.shared:
            try:
                await self.flush_statistics()
                return await self._store.statistics(), "deployment"
            except StoreUnavailableError:
                pass
        return self.statistics.all(), "process"

    # -- one call -----------------------------------------------------------------------------

    async def _serve_call(
        self, scope: Scope, receive: Any, send: Any, path_type: WebhookType | None
    ) -> None:
        started = time.monotonic()
        call_time = iso_now()
        call = _Call(path_type)
        status, body, extra_headers = 500, b"", []
        try:
            status, body = await self._answer(scope, receive, call)
        except TokenError as exc:
            status, body, call.outcome = (
                401,
                answers.error_body(exc.reason, exc.message),
                "unauthorized",
            )
            call.error = exc.message
            extra_headers = [(b"www-authenticate", b'Bearer error="invalid_token"')]
        except RequestError as exc:
            status, body = exc.status, answers.error_body(exc.error_id, exc.message)
            if call.outcome == "unknown":  # keep a more precise one, e.g. "no_handler"
                call.outcome = "bad_request"
            call.error = exc.message
            if exc.status == 405:
                extra_headers = [(b"allow", b"POST")]
        except asyncio.CancelledError:
            # The server stops (uvicorn cancels calls still running when its graceful-shutdown
            # time is up): answer in JSON, as for every other failure, then let it stop.
            call.outcome = "cancelled"
            with contextlib.suppress(Exception):
                await send_json(
                    send,
                    503,
                    answers.error_body(
                        "shutting_down",
                        "The receiver stopped before this call was validated; try again.",
                    ),
                    [(b"retry-after", b"1")],
                )
            raise
        except StoreUnavailableError:
            status, call.outcome, call.error = 503, "store_unavailable", "store unavailable"
            body = answers.error_body(
                "replay_guard_unavailable",
                "The receiver cannot check this token for reuse right now; try again shortly.",
            )
            extra_headers = [(b"retry-after", b"1")]
        except AmbiguousHandlersError as exc:
            logger.error("%s", exc)
            status, call.outcome, call.error = 500, "misconfigured", str(exc)
            body = answers.error_body("ambiguous_webhook_type", str(exc))
        except ConfigurationError as exc:
            logger.error("Receiver misconfigured: %s", exc)
            status, call.outcome, call.error = 500, "misconfigured", "misconfigured"
            body = answers.error_body(
                "misconfigured", "The receiver is misconfigured; see its log."
            )
        except Exception:
            # A bug of ours must still get an answer the platform can parse, and no traceback.
            logger.exception("Unexpected error while serving a call")
            status, call.outcome, call.error = 500, "internal_error", "internal error"
            body = answers.error_body("internal_error", "The receiver failed; see its log.")
        await send_json(send, status, body, extra_headers)
        duration = time.monotonic() - started
        if call.known and call.webhook_id is not None:
            record = call_record(
                status=status,
                call_time=call_time,
                response_time=iso_now(),
                error=call.error,
                response=body,
                headers=_loggable_headers(call.headers(scope)),
                webhook_type=call.webhook_type,
                object_id=call.object_id,
                outcome=call.outcome,
            )
            self.statistics.record(call.webhook_id, record)
            if self._pending is not None:
                self._pending.record(call.webhook_id, record)
                self._ensure_flusher()
        if call_logger.isEnabledFor(logging.INFO):
            _log_call(call, status, duration)

    async def _answer(self, scope: Scope, receive: Any, call: _Call) -> tuple[int, bytes]:
        if scope["method"] != "POST":
            raise RequestError(405, "method_not_allowed", "The platform's calls are POST requests.")
        if not is_json_content_type(header(scope, b"content-type")):
            raise RequestError(
                415, "unsupported_media_type", "Content-Type must be application/json."
            )
        self.startup()
        claims, signature = await self._verify(scope, call)
        body = await read_body(scope, receive, self.max_body_size, self.body_timeout)
        if self.replay_guard:
            await self._check_replay(signature, claims, body)
        handler = self._handlers.get(call.webhook_type) if call.webhook_type else None
        model = self._model_before_parsing(handler)
        if model is not None:
            # One parse, straight into the model: the common case (one object kind).
            obj: Any = self._parse_model(model, body)
            call.object_id = obj.id
            handler = handler or self._handler_for(call, _resolution_view(obj))
        else:
            data = answers.parse_object(body)
            call.object_id = data["id"]
            handler = handler or self._handler_for(call, data)
        if handler is None:
            call.outcome = "no_handler"
            hint = (
                f" Register one with `@app.{call.webhook_type.snake_name}`."
                if call.webhook_type
                else ""
            )
            raise RequestError(
                404, "no_handler", f"No handler for {call.webhook_type or 'this object'}.{hint}"
            )
        if model is None:
            obj = self._prepare(handler, data)
        elif self.clear_errors:
            obj.clear_errors()
        return await self._run(handler, body, obj, claims, scope, call)

    def _model_before_parsing(self, handler: Handler | None) -> type[ObjectModel] | None:
        """The model to parse the body into, when it is known before reading the body."""
        if handler is not None:
            return None if handler.raw else MODEL_BY_OBJECT_TYPE[_object_type(handler)]
        return self._shared_model

    @staticmethod
    def _parse_model(model: type[ObjectModel], body: bytes) -> ObjectModel:
        try:
            obj = model.from_json(body)
        except InvalidObjectError as exc:
            answers.parse_object(body)  # raises the precise 400 (invalid JSON, no id, ...)
            # Defensive: a body parse_object accepts always fits a lenient model.
            raise RequestError(400, "invalid_object", str(exc)) from None
        if not obj.id:  # the lenient model takes "", the platform's objects never have it
            answers.parse_object(body)  # raises 400 missing_id, as for raw handlers
        return obj

    async def _check_replay(self, signature: bytes, claims: dict[str, Any], body: bytes) -> None:
        """Refuse a token already used for another body; pass a retry of the same body."""
        assert self._store is not None  # set by startup()
        # Keys are digests: the store never holds a usable token.
        token_key = hashlib.sha256(signature).digest()
        body_digest = hashlib.sha256(body).digest()
        try:
            first_use = await self._store.first_use(token_key, body_digest, self._token_ttl(claims))
        except StoreUnavailableError:
            if self.replay_fail_mode == "closed":
                raise
            self._replay_skipped += 1
            if self._replay_skipped == 1 or self._replay_skipped % 1000 == 0:
                logger.warning(
                    "Replay guard skipped: the store is unavailable and replay_fail_mode is"
                    " 'open' (%d calls so far).",
                    self._replay_skipped,
                )
            return
        if not first_use:
            raise TokenError(REPLAYED, "Invalid token: already used for a different request.")

    def _token_ttl(self, claims: dict[str, Any]) -> float:
        """How long a token stays acceptable from now: until ``exp`` (and ``iat`` + max age)
        plus the leeway; at least one second."""
        options = self.verify_options
        now = time.time()
        # exp is required and was checked (int() succeeds); a far-future exp is capped so that
        # the store's entries stay bounded in time.
        until: float = min(int(claims["exp"]), int(now) + MAX_REPLAY_TTL) + options.leeway
        if options.max_age is not None and "iat" in claims:
            until = min(until, int(claims["iat"]) + options.max_age + options.leeway)
        return max(1.0, until - now)

    async def _verify(self, scope: Scope, call: _Call) -> tuple[dict[str, Any], bytes]:
        raw = header(scope, b"authorization")
        if raw is None:
            raise TokenError(
                tokens.MISSING, "Missing Authorization header; expected 'Bearer <token>'."
            )
        scheme, _, token = raw.partition(b" ")
        if scheme.lower() != b"bearer" or not token.strip():
            raise TokenError(tokens.MISSING, "The Authorization header must be 'Bearer <token>'.")
        parsed = tokens.parse(token.strip())
        webhook_id = parsed.webhook_id
        if webhook_id is None:
            raise TokenError(
                tokens.MISSING_CLAIM, "Invalid token: the 'webhook_id' claim is required."
            )
        if not is_plausible_webhook_id(webhook_id):
            raise TokenError(
                tokens.UNKNOWN_WEBHOOK, "Unknown webhook: no secret is configured for it."
            )
        assert self._secrets is not None  # set by startup()
        try:
            secrets = await self._secrets.secrets_for(webhook_id)
        except Exception as exc:  # a vendor's own SecretSource may raise anything
            logger.error("Secret lookup for %s failed: %s", webhook_id, type(exc).__name__)
            raise TokenError(
                "secret_unavailable", "The webhook's secret could not be looked up."
            ) from None
        if not secrets:
            raise TokenError(
                tokens.UNKNOWN_WEBHOOK, "Unknown webhook: no secret is configured for it."
            )
        call.webhook_id, call.known = webhook_id, True
        if not tokens.verify_signature(parsed, secrets):
            raise TokenError(tokens.BAD_SIGNATURE, "Invalid token: bad signature.")
        tokens.check_claims(parsed.claims, self.verify_options)
        return dict(parsed.claims), parsed.signature

    def _handler_for(self, call: _Call, data: dict[str, Any]) -> Handler | None:
        if call.webhook_type is None and call.webhook_id is not None:
            call.webhook_type = self.webhooks.get(call.webhook_id)
        if call.webhook_type is None:
            chosen, looks_like = resolve_from_body(data, self._handlers)
            call.webhook_type = chosen or looks_like
        if call.webhook_type is None:
            return None
        return self._handlers.get(call.webhook_type)

    async def _run(
        self,
        handler: Handler,
        body: bytes,
        obj: Any,
        claims: dict[str, Any],
        scope: Scope,
        call: _Call,
    ) -> tuple[int, bytes]:
        deadline = handler.deadline or self.deadline
        ctx = CallContext(
            webhook_id=call.webhook_id or "",
            webhook_type=handler.webhook_type,
            claims=claims,
            headers=call.headers(scope),
            deadline=deadline,
        )
        policy = handler.failure_policy or self.failure_policy
        try:
            result = await run_with_deadline(handler(obj, ctx), deadline)
            payload, refused = answers.serialize_answer(result, obj, call.object_id or "")
        except TimeoutError:
            logger.error(
                "Handler %s missed its %.3gs deadline for %s",
                handler.name,
                deadline,
                call.object_id,
            )
            call.error = f"deadline of {deadline:g}s exceeded"
            return self._failure_answer(policy, handler, body, call)
        except AnswerError as exc:
            logger.error("Handler %s: %s", handler.name, exc)
            call.error = str(exc)
            return self._failure_answer(policy, handler, body, call)
        except Exception as exc:
            logger.exception("Handler %s raised on %s", handler.name, call.object_id)
            call.error = f"handler raised {type(exc).__name__}"
            return self._failure_answer(policy, handler, body, call)
        call.outcome = "refused" if refused else "accepted"
        return 200, payload

    def _prepare(self, handler: Handler, data: dict[str, Any]) -> Any:
        """The handler's argument from the parsed body: the dict itself, or its model."""
        if handler.raw:
            if self.clear_errors:
                answers.clear_dict_errors(data)
            return data
        model = MODEL_BY_OBJECT_TYPE[_object_type(handler)]
        try:
            obj = model.from_dict(data)
        except InvalidObjectError as exc:
            raise RequestError(400, "invalid_object", str(exc)) from None
        if self.clear_errors:
            obj.clear_errors()
        return obj

    def _failure_answer(
        self, policy: FailurePolicy, handler: Handler, body: bytes, call: _Call
    ) -> tuple[int, bytes]:
        if policy == "error":
            call.outcome = "failed"
            return 500, answers.error_body(
                "handler_failed",
                "The validation handler failed; details are in the receiver's log.",
            )
        # Rebuild from the request: the handler may have half-changed the object it was given.
        model = MODEL_BY_OBJECT_TYPE[_object_type(handler)]
        original = model.from_json(body)
        if self.clear_errors:
            original.clear_errors()
        if policy == "reject":
            call.outcome = "rejected_on_failure"
            original.set_error(REJECT_ERROR_ID, self.reject_message)
        else:
            call.outcome = "accepted_on_failure"
        return 200, original.to_json()


class _Call:
    """What is known about the call in progress (for statistics and the log line)."""

    __slots__ = (
        "_headers",
        "error",
        "known",
        "object_id",
        "outcome",
        "webhook_id",
        "webhook_type",
    )

    def __init__(self, webhook_type: WebhookType | None) -> None:
        self.webhook_type = webhook_type
        self.webhook_id: str | None = None
        self.object_id: str | None = None
        self.known = False
        self.outcome = "unknown"
        self.error: str | None = None
        self._headers: dict[str, str] | None = None

    def headers(self, scope: Scope) -> dict[str, str]:
        """The request headers without ``authorization``, decoded once per call."""
        if self._headers is None:
            self._headers = _handler_headers(scope)
        return self._headers


def _object_type(handler: Handler) -> ObjectType:
    return handler.webhook_type.object_type or ANSWER


def _resolution_view(obj: ObjectModel) -> dict[str, Any]:
    """What type resolution reads of a body, taken from its model."""
    return {
        "id": obj.id,
        "type": getattr(obj, "type", None),
        "status": getattr(obj, "status", None),
    }


def _handler_headers(scope: Scope) -> dict[str, str]:
    return {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in scope.get("headers", ())
        if key != b"authorization"
    }


def _log_call(call: _Call, status: int, duration: float) -> None:
    """The call's INFO line, made as ``call_logger.info`` makes it (makeRecord, then handle:
    level, filters, handlers, propagation) less the stack walk that finds the caller: the line
    always comes from here, and on the hot path the walk cost 5-8% of a call."""
    duration_ms = duration * 1000
    record = call_logger.makeRecord(
        call_logger.name,
        logging.INFO,
        __file__,
        _LOG_CALL_LINE,
        "call webhook_id=%s type=%s object_id=%s status=%d outcome=%s duration_ms=%.1f",
        (
            call.webhook_id or "-",
            call.webhook_type or "-",
            call.object_id or "-",
            status,
            call.outcome,
            duration_ms,
        ),
        None,
        "_log_call",
        {
            "webhook_id": call.webhook_id,
            "webhook_type": call.webhook_type,
            "object_id": call.object_id,
            "status": status,
            "outcome": call.outcome,
            "duration_ms": round(duration_ms, 3),
        },
    )
    call_logger.handle(record)


_LOG_CALL_LINE = _log_call.__code__.co_firstlineno


def _loggable_headers(headers: Mapping[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def _types_sharing_a_body(handlers: Mapping[WebhookType, Handler]) -> set[str]:
    """Registered types the body alone cannot tell apart: SelectOrderLines and the Purchase
    types (its status is undocumented, contract 2.10)."""
    purchase = {t for t in handlers if t in PURCHASE_WEBHOOK_TYPES}
    if "SelectOrderLines" in handlers and purchase:
        return {str(t) for t in purchase} | {"SelectOrderLines"}
    return set()


__all__ = ["KNOWN_WEBHOOK_TYPES", "Receiver"]
