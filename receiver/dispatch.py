"""From a verified call to a handler: which webhook type it is, and running the handler.

Type resolution, in order: the URL path (``POST /ValidateChangeOrderDraft``), the receiver's
``webhooks={webhook_id: type}`` map, then the body (an Order's ``type`` + ``status``, an
Enrollment's ``type`` + ``status``, the id prefix). When the body leaves more than one registered
handler possible, that is a configuration error the vendor fixes with ``webhooks=``.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_origin

import anyio.to_thread

from receiver._checks import positive_number
from receiver.errors import AmbiguousHandlersError, ConfigurationError
from receiver.types import (
    SELECT_ORDER_LINES,
    ObjectType,
    WebhookType,
    candidate_webhook_types,
    object_type_for_id,
)

FailurePolicy = Literal["error", "reject", "accept"]
FAILURE_POLICIES: tuple[FailurePolicy, ...] = ("error", "reject", "accept")


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a handler may want to know about the call besides the object.

    ``headers`` are the request headers (lowercase names) without ``authorization``;
    ``claims`` are the verified token claims; ``deadline`` is the handler's time budget in
    seconds and :meth:`remaining` what is left of it.
    """

    webhook_id: str
    webhook_type: WebhookType
    claims: Mapping[str, Any]
    headers: Mapping[str, str]
    deadline: float
    started: float = field(default_factory=time.monotonic)

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

    @property
    def name(self) -> str:
        return f"{getattr(self.fn, '__module__', '?')}.{getattr(self.fn, '__qualname__', self.fn)}"

    async def __call__(self, obj: Any, ctx: CallContext) -> Any:
        args = (obj, ctx) if self.wants_context else (obj,)
        if self.is_async:
            return await self.fn(*args)
        # Sync handlers run in a worker thread so they cannot block the event loop.
        return await anyio.to_thread.run_sync(functools.partial(self.fn, *args))


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
        raise ConfigurationError(
            f"The handler {name!r} for {webhook_type} takes no arguments; it must take the"
            " object, e.g. `def check(order): ...` or `def check(order, ctx): ...`."
        )
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


def _annotated_as_dict(fn: HandlerFn, parameter: inspect.Parameter) -> bool:
    annotation = parameter.annotation
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            annotation = inspect.get_annotations(fn, eval_str=True).get(parameter.name)
        except Exception:
            return False
    origin = get_origin(annotation) or annotation
    return (isinstance(origin, type) and issubclass(origin, dict)) or origin is Mapping


def check_failure_policy(value: str) -> FailurePolicy:
    for policy in FAILURE_POLICIES:
        if value == policy:
            return policy
    raise ConfigurationError(
        f"Unknown failure_policy {value!r}; use 'error' (answer 500), 'reject' (answer 200 with"
        " an error on the object) or 'accept' (answer 200 with the object unchanged)."
    )


def infer_webhook_types(body: Mapping[str, Any]) -> tuple[ObjectType | None, set[WebhookType]]:
    """The object kind of ``body`` (by id prefix) and the webhook types it could belong to."""
    object_id = body.get("id")
    kind = object_type_for_id(object_id) if isinstance(object_id, str) else None
    if kind is None:
        return None, set()
    # The candidates depend on the kind and the type and status strings only (what
    # candidate_webhook_types reads; other values count as absent): worked out once each.
    order_type, status = body.get("type"), body.get("status")
    return kind, set(
        _candidates(
            kind,
            order_type if isinstance(order_type, str) else None,
            status if isinstance(status, str) else None,
        )
    )


@functools.lru_cache(maxsize=256)
def _candidates(
    kind: ObjectType, order_type: str | None, status: str | None
) -> frozenset[WebhookType]:
    fields = {"type": order_type, "status": status}
    return frozenset(t for tier in candidate_webhook_types(kind, fields) for t in tier)


def resolve_from_body(
    body: Mapping[str, Any], registered: Mapping[WebhookType, Handler]
) -> tuple[WebhookType | None, WebhookType | None]:
    """The registered type this body belongs to, or None when no handler fits; and, for the
    error message in that case, the type the body looks like.

    Raises :class:`AmbiguousHandlersError` when several registered types fit."""
    kind, possible = infer_webhook_types(body)
    if kind is None and len(registered) == 1:
        return next(iter(registered)), None  # a one-handler app takes what the URL sends it
    candidates = possible & registered.keys()
    if len(candidates) > 1:
        raise AmbiguousHandlersError(candidates, f"A {kind} on the shared URL")
    if candidates:
        return next(iter(candidates)), None
    specific = sorted(possible - {SELECT_ORDER_LINES}) or sorted(possible)
    return None, specific[0] if specific else None
