"""The Receiver: the ASGI app that composes the parts. It keeps the settings, the handler
registry, the lifespan and the routing; the work of a call is done in ``calls.py``, the admin
routes in ``admin.py`` (see ``docs/architecture.md``).

    from receiver import Receiver

    app = Receiver(secrets={"WBH-5433-8787": "s3cret"})

    @app.validate_purchase_order_draft
    async def check(order):
        company = order.find_parameter("companyName")
        if company is not None and not company.value:
            company.set_error("ACME001", "Company name is required.")
        return order

``uvicorn mymodule:app`` serves it; ``Mount("/mpt", app)`` in Starlette or
``fastapi_app.mount("/mpt", app)`` works too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, Unpack

from starlette.datastructures import State

from receiver._http import Scope, route_path, send_json
from receiver.admin import AdminApp, is_admin_path, statistics_view
from receiver.answers import error_body
from receiver.calls import CallPipeline, Services
from receiver.decorators import NamedDecorators
from receiver.dispatch import Handler, make_handler
from receiver.errors import ConfigurationError, DuplicateHandlerError, RegistrationClosedError
from receiver.flush import StatisticsFlusher
from receiver.lifecycle import ErrorHook, Hook, Lifecycle
from receiver.logs import install_default_logging
from receiver.metrics import Metrics
from receiver.models import MODEL_BY_OBJECT_TYPE
from receiver.openapi import openapi_json
from receiver.platform import AsyncWebhooksClient
from receiver.replay import ReplayGuard
from receiver.resolution import configuration_problems
from receiver.secrets import SecretSource, as_secret_source, from_env
from receiver.settings import Options, Settings
from receiver.stats import Statistics, WebhookStats
from receiver.store import Store, as_store
from receiver.tracing import Tracing, configure_from_environment, configured_provider, no_span
from receiver.types import KNOWN_WEBHOOK_TYPES, WebhookType, parse_known_webhook_type
from receiver.wire import ErrorId, Message, Route

F = TypeVar("F", bound=Callable[..., Any])
H = TypeVar("H", bound=Hook)
E = TypeVar("E", bound=ErrorHook)

logger = logging.getLogger("receiver")


class Receiver(NamedDecorators):
    """The ASGI app. See the module docstring for an example.

    ``secrets`` is where the webhooks' shared secrets come from: a mapping
    ``{webhook_id: secret | [secret, ...]}`` (several = rotation), a
    :class:`receiver.secrets.SecretSource`, or a sync/async callable
    ``f(webhook_id) -> secret | [secrets] | None``; None reads ``RECEIVER_SECRETS``. ``store`` is
    the shared state (seen tokens, statistics): a :class:`receiver.store.Store`, a URL
    (``"memory"``, ``"redis://host:6379/0"``), or None to read ``RECEIVER_STORE`` (memory when
    unset). ``tracer_provider`` is the OpenTelemetry provider to trace calls with (default: the
    global one, when the application configured one). Every other option is keyword-only
    (:class:`receiver.settings.Options`), and is described and checked by
    :class:`receiver.settings.Settings` (``app.settings``); an option not given is read from its
    ``RECEIVER_*`` variable, else takes its default.
    """

    def __init__(
        self,
        *,
        secrets: object = None,
        store: object = None,
        tracer_provider: object = None,
        **options: Unpack[Options],
    ) -> None:
        self._secrets: SecretSource | None = None if secrets is None else as_secret_source(secrets)
        self.settings = Settings(**options)
        # The routing table of POST /: the configured map, which the test harness may extend.
        self.webhooks: dict[str, WebhookType] = dict(self.settings.webhooks)
        self.statistics = Statistics()
        self._store: Store | None = (
            None if store is None else as_store(store, timeout=self.settings.store_timeout)
        )
        self._handlers: dict[WebhookType, Handler] = {}
        self._services: Services | None = None
        # What startup hooks open (a database pool, an HTTP client); handlers reach it as ctx.state.
        self.state = State()
        self._lifecycle = Lifecycle()
        self._calls = CallPipeline(
            self.settings,
            self._handlers,
            self.webhooks,
            self.startup,
            current=lambda: self._services,
            state=self.state,
            on_error=self._lifecycle.report_error,
        )
        # The routes inside OpenTelemetry's ASGI middleware, with a tracer provider: the one given
        # (at once), else the global one if the application configured one (at startup).
        self._tracing: Tracing | None = None
        self._traced: Callable[[Scope, Any, Any], Awaitable[None]] | None = None
        if tracer_provider is not None:
            self._trace_with(tracer_provider)
        self._admin = AdminApp(
            admin_token=self.settings.admin_token,
            openapi=lambda: openapi_json(self),
            statistics=self._statistics_view,
            readiness=lambda: self._lifecycle.readiness(self.startup),
            metrics=self._metrics_text,
        )

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
        if self.started:
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
        if callable(webhook_type):  # a bare `@app.on` above a function: it would register nothing
            name = getattr(webhook_type, "__name__", "handler")
            raise ConfigurationError(
                f'@app.on needs the webhook type: write `@app.on("ValidatePurchaseOrderDraft")`'
                f" above `def {name}(...)`, or use a named decorator such as"
                " `@app.validate_purchase_order_draft`."
            )

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

    def on_startup(self, fn: H) -> H:
        """Run ``fn()`` (sync or async) at startup, before ``/readyz`` turns 200: open a pool or
        a client once and keep it on ``app.state``. If it raises, the server does not start."""
        self._check_open("on_startup")
        self._lifecycle.startup_hooks.append(fn)
        return fn

    def on_shutdown(self, fn: H) -> H:
        """Run ``fn()`` (sync or async) at shutdown, after the last call was answered."""
        self._check_open("on_shutdown")
        self._lifecycle.shutdown_hooks.append(fn)
        return fn

    def on_error(self, fn: E) -> E:
        """Call ``fn(exception, ctx)`` (sync or async) when a handler raises or misses its
        deadline, after the answer was sent: to alert a team channel, for example. It cannot
        change the answer; what it raises is logged; it may take 5 seconds at most."""
        self._check_open("on_error")
        self._lifecycle.error_hooks.append(fn)
        return fn

    def _check_open(self, decorator: str) -> None:
        if self.started:
            raise ConfigurationError(
                f"@app.{decorator} after the receiver started: register hooks at import time,"
                " before the server starts."
            )

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
        if self._secrets is not None and self._services is not None:
            self._services.secrets = self._secrets

    @property
    def store(self) -> Store | None:
        """The shared-state store; None until startup when ``store=`` was not given (then
        ``RECEIVER_STORE`` is read)."""
        return self._store

    @property
    def started(self) -> bool:
        """True once the receiver has started (lifespan startup or its first call): from then on
        handlers can no longer be registered."""
        return self._services is not None

    @property
    def handlers(self) -> Mapping[WebhookType, Handler]:
        """The registered handlers by webhook type (read-only view)."""
        return dict(self._handlers)

    # -- startup and shutdown -----------------------------------------------------------------

    def startup(self) -> Services:
        """Close registration and check the configuration; runs at ASGI lifespan startup, or at
        the first call when mounted in an app that does not forward lifespan events. Returns
        what calls need from then on."""
        if self._secrets is None:
            self._secrets = from_env()
            if self._services is not None:
                self._services.secrets = self._secrets
        if self._services is not None:
            return self._services
        settings = self.settings
        if self._store is None:
            self._store = as_store(None, timeout=settings.store_timeout)
        store = self._store
        if self._tracing is None:
            provider = configured_provider()
            if provider is not None:
                self._trace_with(provider)
        tracing = self._tracing
        models = {MODEL_BY_OBJECT_TYPE[handler.object_type] for handler in self._handlers.values()}
        one_model = len(models) == 1 and not any(h.raw for h in self._handlers.values())
        self._services = Services(
            secrets=self._secrets,
            store=store,
            statistics=self.statistics,
            replay=(
                ReplayGuard(store, settings.verify_options, fail_mode=settings.replay_fail_mode)
                if settings.replay_guard
                else None
            ),
            flusher=(
                StatisticsFlusher(store, settings.stats_flush_interval) if store.shared else None
            ),
            shared_model=models.pop() if one_model else None,
            metrics=(
                Metrics(self._handlers, lambda: getattr(store, "available", True))
                if settings.metrics
                else None
            ),
            tracing=tracing,
            span=tracing.span if tracing is not None else no_span,
            platform=AsyncWebhooksClient.from_env(),  # ctx.platform; None without MPT_API_*
        )
        install_default_logging(settings.log_format)
        for problem in self.configuration_warnings():
            logger.warning(problem)
        return self._services

    def configuration_warnings(self) -> list[str]:
        """What in the configuration will make calls fail (each a sentence saying what to do)."""
        known_ids = self._secrets.known_webhook_ids() if self._secrets is not None else None
        return configuration_problems(self._handlers, self.webhooks, known_ids)

    async def start(self) -> None:
        """Start, run the startup hooks and turn ready; runs at ASGI lifespan startup (await it
        from your app's own lifespan when mounted in one that does not forward it). Exporting
        traces is turned on here from the standard environment (see :mod:`receiver.tracing`)."""
        configure_from_environment()
        services = self.startup()
        await self._lifecycle.start(services.store)
        if services.flusher is not None:
            services.flusher.ensure_running()

    async def shutdown(self) -> None:
        """Turn not ready, run the shutdown hooks, flush statistics to a shared store and close
        connections; runs at ASGI lifespan shutdown (await it yourself when mounted in an app
        that does not forward lifespan)."""
        await self._lifecycle.stop()
        if self._services is not None and self._services.flusher is not None:
            await self._services.flusher.stop()
        if self._services is not None and self._services.platform is not None:
            await self._services.platform.aclose()
        closer = getattr(self._secrets, "aclose", None)
        if closer is not None:
            await closer()
        if self._store is not None:
            await self._store.aclose()

    async def flush_statistics(self) -> bool:
        """Send the statistics recorded since the last flush to the shared store. False when the
        store is unavailable: they stay here and go with the next flush."""
        if self._services is None or self._services.flusher is None:
            return True
        return await self._services.flusher.flush()

    def _trace_with(self, provider: object) -> None:
        self._tracing = Tracing(provider)
        self._traced = self._tracing.wrap(self._route)

    def _metrics_text(self) -> tuple[bytes, str] | None:
        """The metrics exposition, or None when metrics are off."""
        metrics = self.startup().metrics
        return metrics.render() if metrics is not None else None

    async def _statistics_view(self) -> tuple[list[WebhookStats], str]:
        self.startup()
        assert self._store is not None  # set by startup()
        return await statistics_view(self.statistics, self._store, self.flush_statistics)

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await (self._traced or self._route)(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket: not ours; returning without accepting closes it.

    async def _route(self, scope: Scope, receive: Any, send: Any) -> None:
        path = route_path(scope).rstrip("/") or "/"
        if path == "/":
            await self._calls(scope, receive, send, None)
        elif path == Route.VERIFY:
            await self._calls.verify_only(scope, send)
        elif is_admin_path(path):
            await self._admin(scope, receive, send)
        elif "/" not in path[1:] and WebhookType(path[1:]).known:
            await self._calls(scope, receive, send, WebhookType(path[1:]))
        else:
            await send_json(send, 404, _NOT_FOUND)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except ConfigurationError as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def find_receiver(app: Any, *, _depth: int = 0) -> tuple[Receiver, str] | None:
    """The :class:`receiver.Receiver` in ``app`` and the path it is mounted at: the app itself,
    or found through Starlette/FastAPI mounts (``app.mount("/mpt", receiver)``) and middleware
    that keep the wrapped app as ``.app``. None when there is none."""
    if isinstance(app, Receiver):
        return app, ""
    if _depth > 10 or app is None:
        return None
    routes = getattr(app, "routes", None)
    if isinstance(routes, list | tuple):
        for route in routes:
            mounted = getattr(route, "app", None)
            prefix = getattr(route, "path", "")
            if mounted is None or not isinstance(prefix, str):
                continue
            found = find_receiver(mounted, _depth=_depth + 1)
            if found is not None:
                return found[0], prefix.rstrip("/") + found[1]
    inner = getattr(app, "app", None)
    if inner is not None and inner is not app:
        return find_receiver(inner, _depth=_depth + 1)
    return None


_NOT_FOUND = error_body(ErrorId.NOT_FOUND, Message.NOT_FOUND_CALL)

__all__ = ["KNOWN_WEBHOOK_TYPES", "Receiver", "find_receiver"]
