"""The receiver's own routes, a small ASGI app: ``/healthz`` (the process answers), ``/readyz``
(it takes calls: started, not stopping), the OpenAPI document and the statistics
(``/_receiver/webhooks``, behind the admin token).

The :class:`~receiver.app.Receiver` routes these paths here; what they show is passed in as
callables, so this module knows nothing of the call pipeline.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic_core

from receiver._http import Scope, header, route_path, send_json
from receiver.answers import error_body
from receiver.errors import ConfigurationError, StoreUnavailableError
from receiver.stats import Statistics, WebhookStats
from receiver.store import Store
from receiver.wire import ALLOW_GET, ErrorId, Message, Route

logger = logging.getLogger("receiver")

StatisticsView = Callable[[], Awaitable[tuple[list[WebhookStats], str]]]

ADMIN_ROUTES = frozenset(
    {Route.HEALTHZ, Route.READYZ, Route.OPENAPI, Route.ADMIN_WEBHOOKS, Route.METRICS}
)
Readiness = Callable[[], Awaitable[tuple[bool, str]]]


def is_admin_path(path: str) -> bool:
    """Whether ``path`` (relative to the app, without a trailing slash) is one of ours."""
    return path in ADMIN_ROUTES or path.startswith(Route.ADMIN_WEBHOOKS + "/")


async def statistics_view(
    process: Statistics, store: Store, flush: Callable[[], Awaitable[bool]]
) -> tuple[list[WebhookStats], str]:
    """The statistics to show and their scope: ``"deployment"`` (from the shared store, with
    this process's latest calls flushed first) or ``"process"`` (this process only: no shared
    store, or it is unavailable)."""
    if store.shared:
        try:
            await flush()
            return await store.statistics(), "deployment"
        except StoreUnavailableError:
            pass
    return process.all(), "process"


class AdminApp:
    """Serves the admin routes. ``admin_token`` None turns the statistics routes off (404)."""

    def __init__(
        self,
        *,
        admin_token: str | None,
        openapi: Callable[[], bytes],
        statistics: StatisticsView,
        readiness: Readiness,
        metrics: Callable[[], tuple[bytes, str] | None],
    ) -> None:
        self._token = admin_token.encode() if admin_token is not None else None
        self._openapi = openapi
        self._statistics = statistics
        self._readiness = readiness
        self._metrics = metrics

    @property
    def statistics_enabled(self) -> bool:
        return self._token is not None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = route_path(scope).rstrip("/") or "/"
        if not is_admin_path(path):
            await send_json(send, 404, error_body(ErrorId.NOT_FOUND, Message.NOT_FOUND))
        elif path.startswith(Route.ADMIN_WEBHOOKS):
            await self._webhooks(scope, send, path[len(Route.ADMIN_WEBHOOKS) :].strip("/"))
        elif path == Route.METRICS:
            await self._serve_metrics(scope, send)
        elif await _refused_unless_get(scope, send):
            return
        elif path == Route.HEALTHZ:
            await send_json(send, 200, b'{"status":"ok"}')
        elif path == Route.READYZ:
            ready, reason = await self._readiness()
            if ready:
                await send_json(send, 200, b'{"status":"ready"}')
            else:
                await send_json(send, 503, error_body(ErrorId.NOT_READY, f"Not ready: {reason}."))
        else:
            await send_json(send, 200, self._openapi())

    async def _serve_metrics(self, scope: Scope, send: Any) -> None:
        """Prometheus's text format; behind the admin token when one is set."""
        if await _refused_unless_get(scope, send):
            return
        if self._token is not None and not await self._authorized(scope, send):
            return
        try:
            exposition = self._metrics()
        except ConfigurationError as exc:
            logger.error("Receiver misconfigured: %s", exc)
            await send_json(send, 500, error_body(ErrorId.MISCONFIGURED, Message.MISCONFIGURED))
            return
        if exposition is None:  # metrics are off
            await send_json(send, 404, error_body(ErrorId.NOT_FOUND, Message.NOT_FOUND))
            return
        body, content_type = exposition
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type.encode("latin-1")),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _authorized(self, scope: Scope, send: Any) -> bool:
        """Whether the request carries the admin token; answers 401 when not."""
        assert self._token is not None
        scheme, _, credentials = (header(scope, b"authorization") or b"").partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(credentials, self._token):
            return True
        await send_json(
            send,
            401,
            error_body(ErrorId.UNAUTHORIZED, Message.ADMIN_UNAUTHORIZED),
            [(b"www-authenticate", b"Bearer")],
        )
        return False

    async def _webhooks(self, scope: Scope, send: Any, webhook_id: str) -> None:
        if self._token is None:
            await send_json(send, 404, error_body(ErrorId.NOT_FOUND, Message.NOT_FOUND))
            return
        if await _refused_unless_get(scope, send):
            return
        if not await self._authorized(scope, send):
            return
        try:
            entries, scope_name = await self._statistics()
        except ConfigurationError as exc:  # e.g. RECEIVER_SECRETS unset: the calls fail too
            logger.error("Receiver misconfigured: %s", exc)
            await send_json(send, 500, error_body(ErrorId.MISCONFIGURED, Message.MISCONFIGURED))
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
                send,
                404,
                error_body(ErrorId.NOT_FOUND, f"No calls recorded for {webhook_id}."),
            )
            return
        await send_json(
            send, 200, pydantic_core.to_json({**stats.to_wire(), "$meta": {"scope": scope_name}})
        )


async def _refused_unless_get(scope: Scope, send: Any) -> bool:
    """Answer 405 to anything but GET and HEAD; True when it did."""
    if scope["method"] in ("GET", "HEAD"):
        return False
    await send_json(
        send, 405, error_body(ErrorId.METHOD_NOT_ALLOWED, Message.USE_GET), list(ALLOW_GET)
    )
    return True
