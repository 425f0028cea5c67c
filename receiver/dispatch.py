"""Handlers: each inspected once at registration, then run under its deadline, with the failure
policy answering for a handler that raises, misses its deadline or returns what cannot be sent.

Sync handlers run in a worker thread so they cannot block the event loop. A handler takes the
object, or the object and a :class:`CallContext`; it returns the object, a dict, or None (the
object as changed in place).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_origin

from receiver._checks import positive_number
from receiver._deadline import run_with_deadline
from receiver._threads import OverdueThreadsError, ThreadBudget
from receiver.answers import error_body, serialize_answer
from receiver.calllog import log_field
from receiver.errors import AnswerError, ConfigurationError
from receiver.models import MODEL_BY_OBJECT_TYPE
from receiver.settings import FailurePolicy, check_failure_policy
from receiver.types import ANSWER, ObjectType, WebhookType
from receiver.wire import REJECT_ERROR_ID, ErrorId, Message, Outcome

if TYPE_CHECKING:
    from receiver.platform import AsyncWebhooksClient

logger = logging.getLogger("receiver")

HANDLER_FAILED_BODY = error_body(ErrorId.HANDLER_FAILED, Message.HANDLER_FAILED)


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a handler may want to know about the call besides the object.

    ``headers`` are the request headers (lowercase names) without ``authorization``;
    ``claims`` are the verified token claims; ``deadline`` is the handler's time budget in
    seconds and :meth:`remaining` what is left of it; ``request_id`` is the call's id in the
    receiver's log and in the answer's ``x-request-id`` (pass it on to what the handler calls);
    ``state`` is the app's ``app.state`` (what startup hooks opened: a database pool, a client);
    :attr:`platform` is the receiver's client of the platform API.
    """

    webhook_id: str
    webhook_type: WebhookType
    claims: Mapping[str, Any]
    headers: Mapping[str, str]
    deadline: float
    started: float = field(default_factory=time.monotonic)
    request_id: str = ""
    state: Any = None
    platform_client: AsyncWebhooksClient | None = None

    @property
    def platform(self) -> AsyncWebhooksClient:
        """The receiver's pooled client of the platform API (MPT_API_BASE_URL, MPT_API_TOKEN),
        opened at startup and closed at shutdown: ``await ctx.platform.get(ctx.webhook_id)``, or
        any endpoint with ``await ctx.platform.request("GET", "/public/v1/...")``."""
        if self.platform_client is None:
            raise ConfigurationError(
                "ctx.platform needs the platform API's address and token: set MPT_API_BASE_URL"
                " and MPT_API_TOKEN in the receiver's environment (its startup log says why"
                " when they are set but cannot be used)."
            )
        return self.platform_client

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - (time.monotonic() - self.started))


HandlerFn = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Handler:
    """A registered handler and how to call it (worked out once, at registration)."""

    webhook_type: WebhookType
    fn: HandlerFn
    is_async: bool
    wants_context: bool
    raw: bool
    deadline: float | None
    failure_policy: FailurePolicy | None
    threads: ThreadBudget = field(default_factory=ThreadBudget)

    @property
    def object_type(self) -> ObjectType:
        """The kind of object the handler's webhook type sends."""
        return self.webhook_type.object_type or ANSWER

    @property
    def name(self) -> str:
        return f"{getattr(self.fn, '__module__', '?')}.{getattr(self.fn, '__qualname__', self.fn)}"

    async def __call__(self, obj: Any, ctx: CallContext) -> Any:
        args = (obj, ctx) if self.wants_context else (obj,)
        if self.is_async:
            return await self.fn(*args)
        # Sync handlers run in a worker thread so they cannot block the event loop; the threads
        # that outlive their deadline are bounded.
        return await self.threads.run(self.fn, *args)


def make_handler(
    webhook_type: WebhookType,
    fn: HandlerFn,
    *,
    deadline: float | None,
    failure_policy: str | None,
    raw: bool | None,
) -> Handler:
    """Inspect ``fn`` once: sync or async, ``(obj)`` or ``(obj, ctx)``, model or raw dict."""
    if not callable(fn):
        raise ConfigurationError(f"The handler for {webhook_type} must be callable, not {fn!r}.")
    if deadline is not None:
        deadline = positive_number("deadline", deadline)
    policy = check_failure_policy(failure_policy) if failure_policy is not None else None
    name = getattr(fn, "__qualname__", fn)
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: call with the object only
        parameters = None
    positional = [
        p for p in parameters or () if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    has_varargs = any(p.kind is p.VAR_POSITIONAL for p in parameters or ())
    if parameters is not None and not positional and not has_varargs:
        raise ConfigurationError(_no_positional_message(name, webhook_type, parameters))
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 2:
        raise ConfigurationError(
            f"The handler {name!r} for {webhook_type} needs {len(required)} arguments; it is"
            " called with the object and, if it takes a second one, the call context:"
            " `def check(order, ctx): ...`."
        )
    wants_context = len(positional) >= 2 or has_varargs
    if raw is None:
        raw = bool(positional) and _annotated_as_dict(fn, positional[0])
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )
    return Handler(webhook_type, fn, is_async, wants_context, raw, deadline, policy)


def _no_positional_message(
    name: object, webhook_type: WebhookType, parameters: list[inspect.Parameter]
) -> str:
    """Why a handler that takes nothing by position cannot be called, and the line to write."""
    keyword_only = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    if keyword_only:
        count = len(keyword_only)
        takes = (
            f"{count} keyword-only argument{'s' if count > 1 else ''} ({', '.join(keyword_only)})"
        )
        fix = f"drop the `*`, e.g. `def check({', '.join(keyword_only[:2])}): ...`"
    elif variadic := [p.name for p in parameters if p.kind is p.VAR_KEYWORD]:
        takes = f"keyword arguments only (**{variadic[0]})"
        fix = "e.g. `def check(order): ...` or `def check(order, ctx): ...`"
    else:
        takes = "no arguments"
        fix = "e.g. `def check(order): ...` or `def check(order, ctx): ...`"
    return (
        f"The handler {name!r} for {webhook_type} takes {takes}; it must take the object by"
        f" position (and the call context second, if it wants it): {fix}."
    )


def _annotated_as_dict(fn: HandlerFn, parameter: inspect.Parameter) -> bool:
    annotation = parameter.annotation
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            annotation = inspect.get_annotations(fn, eval_str=True).get(parameter.name)
        except Exception:
            return False
    origin = get_origin(annotation) or annotation
    return (isinstance(origin, type) and issubclass(origin, dict)) or origin is Mapping


@dataclass(frozen=True, slots=True)
class Ran:
    """What running a handler gave: the answer's bytes and whether it refuses something, or
    (``failure`` set) why there is no answer to send."""

    payload: bytes = b""
    refused: bool = False
    failure: str | None = None
    error: BaseException | None = None  # what failed (a TimeoutError for the deadline)


async def run(handler: Handler, obj: Any, ctx: CallContext, object_id: str) -> Ran:
    """Run ``handler`` on ``obj`` under ``ctx.deadline`` and check its answer. A failure is
    logged here (with the traceback when it raised) and returned, never raised."""
    try:
        result = await run_with_deadline(handler(obj, ctx), ctx.deadline)
        payload, refused = serialize_answer(result, obj, object_id)
    except TimeoutError:
        logger.error(
            "Handler %s missed its %.3gs deadline for %s",
            handler.name,
            ctx.deadline,
            log_field(object_id),
        )
        return Ran(
            failure=f"deadline of {ctx.deadline:g}s exceeded",
            error=TimeoutError(f"{handler.name} missed its {ctx.deadline:g}s deadline"),
        )
    except AnswerError as exc:
        logger.error("Handler %s: %s", handler.name, exc)
        return Ran(failure=str(exc), error=exc)
    except OverdueThreadsError as exc:
        count = handler.threads.refused
        if count == 1 or count % 100 == 0:  # a hung handler: say so, without a line a call
            logger.error("Handler %s: %s (%d calls so far)", handler.name, exc, count)
        return Ran(failure=str(exc), error=exc)
    except Exception as exc:
        logger.exception("Handler %s raised on %s", handler.name, log_field(object_id))
        return Ran(failure=f"handler raised {type(exc).__name__}", error=exc)
    return Ran(payload, refused)


def failure_answer(
    policy: FailurePolicy,
    handler: Handler,
    body: bytes,
    *,
    clear_errors: bool,
    reject_message: str,
) -> tuple[int, bytes, Outcome]:
    """The failure policy's answer when ``handler`` gave none: 500 (``error``), the object with
    an order-level error (``reject``) or the object unchanged (``accept``)."""
    if policy == "error":
        return 500, HANDLER_FAILED_BODY, Outcome.FAILED
    # Rebuild from the request: the handler may have half-changed the object it was given.
    original = MODEL_BY_OBJECT_TYPE[handler.object_type].from_json(body)
    if clear_errors:
        original.clear_errors()
    if policy == "reject":
        original.set_error(REJECT_ERROR_ID, reject_message)
        return 200, original.to_json(), Outcome.REJECTED_ON_FAILURE
    return 200, original.to_json(), Outcome.ACCEPTED_ON_FAILURE
