"""Traces (extra ``mpt-receiver[otel]``): each call a server span, its stages child spans.

When OpenTelemetry is installed and a tracer provider is configured (the application's, or the
one :func:`configure_from_environment` makes), each request is a server span that continues an
incoming ``traceparent`` (through the configured propagator), with child spans
``receiver.verify`` (the token; ``receiver.secret_lookup`` inside it), ``receiver.handler``
and ``receiver.answer``, and the attributes of the call at its end: ``mpt.webhook.id`` and
``mpt.webhook.type`` (verified only), ``mpt.object.id`` (bounded), ``receiver.outcome``. Outbound
HTTP (secret lookups, the platform client) is traced by OpenTelemetry's httpx instrumentation.
Never a token, a secret, a body or the Authorization header.

Without a configured provider nothing is wrapped and each stage costs one attribute check.

The server span is made here rather than by OpenTelemetry's ASGI middleware: measured in
``bench/bench_dispatch.py``, the middleware cost about 170 us a call (it reads and formats
every header and URL part), more than the whole call; this span carries the attributes of the
HTTP semantic conventions that matter for a webhook endpoint, for a few microseconds.

Spans are started with the tracer's ``start_span`` and made current by :class:`_Current`, which
does what ``start_as_current_span`` does (current until the block ends, an exception noted and
the status set to ERROR, then ended) without its two generator-based context managers; and
whether the call is recorded is decided once, by the sampler at the server span, then read from
a context variable by each stage. Measured in process (``bench/bench_dispatch.py``, rows
``receiver-traced-0%`` and ``receiver-traced``): a call the sampler leaves out cost about 33 us
more than an untraced one, now about 15; a recorded call about 200 us more, now 160-180. The
rest is the SDK's: ``start_span`` and ``end`` alone are about 16 us a span in a loop, and a
recorded call has five spans.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import SimpleNamespace, TracebackType
from typing import Any, Final

logger = logging.getLogger("receiver")

SpanFactory = Callable[[str], AbstractContextManager[Any]]
_NO_SPAN: Final = contextlib.nullcontext()
MAX_ATTRIBUTE_LENGTH: Final = 128
# The headers the W3C propagators read.
_PROPAGATED: Final = frozenset({b"traceparent", b"tracestate", b"baggage"})
# Whether the call in progress is recorded: set at its server span, read by each stage.
_RECORDING: Final = contextvars.ContextVar("receiver_span_recorded", default=False)


def no_span(name: str) -> AbstractContextManager[Any]:
    """The span factory when tracing is off: nothing, at the cost of a call."""
    return _NO_SPAN


def configured_provider(explicit: object = None) -> Any | None:
    """The tracer provider to use: ``explicit``, else the global one when the application
    configured one; None when OpenTelemetry is not installed or nothing is configured."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    if explicit is not None:
        return explicit
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return provider


class Tracing:
    """The receiver's spans, made with ``provider``'s tracer."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry import trace

        self.provider = provider
        self._tracer = provider.get_tracer("receiver")
        self._current_span = trace.get_current_span
        self._api = _api()
        _instrument_httpx(provider)

    def wrap(self, app: Any) -> Any:
        """``app`` with a server span around each HTTP request."""
        from opentelemetry import propagate, trace

        start_span = self._tracer.start_span
        server = trace.SpanKind.SERVER
        error = trace.Status(trace.StatusCode.ERROR)
        extract = propagate.extract
        recording = _RECORDING
        api = self._api

        async def traced(scope: dict[str, Any], receive: Any, send: Any) -> None:
            carrier = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope.get("headers", ())
                if name in _PROPAGATED
            }
            path = scope.get("path", "/")
            span = start_span(
                f"{scope['method']} {path[:MAX_ATTRIBUTE_LENGTH]}",
                # Nothing to continue without the headers: the propagators are not run for them.
                context=extract(carrier) if carrier else None,
                kind=server,
                attributes={
                    "http.request.method": scope["method"],
                    "url.path": path[:MAX_ATTRIBUTE_LENGTH],
                    "url.scheme": scope.get("scheme", "http"),
                },
            )
            recorded = span.is_recording()
            token = recording.set(recorded)
            try:
                with _Current(span, api):
                    if not recorded:  # current all the same: outbound calls carry its context
                        await app(scope, receive, send)
                        return

                    async def answered(message: dict[str, Any]) -> None:
                        if message["type"] == "http.response.start":
                            status = message["status"]
                            span.set_attribute("http.response.status_code", status)
                            if status >= 500:
                                span.set_status(error)
                        await send(message)

                    await app(scope, receive, answered)
            finally:
                recording.reset(token)

        return traced

    def span(self, name: str) -> AbstractContextManager[Any]:
        """A child span of the current one, current in its block; none in a call that is not
        recorded (a call the sampler left out: its children would be dropped too, at 10-20 us
        each)."""
        if not _RECORDING.get():
            return _NO_SPAN
        return _Current(self._tracer.start_span(name), self._api)

    def describe_call(
        self,
        *,
        webhook_id: str | None,
        webhook_type: str | None,
        object_id: str | None,
        outcome: str,
    ) -> None:
        """Put the call's attributes on the server span."""
        if not _RECORDING.get():
            return
        span = self._current_span()
        attributes = {"receiver.outcome": str(outcome)}
        if webhook_id is not None:
            attributes["mpt.webhook.id"] = webhook_id
        if webhook_type is not None:
            attributes["mpt.webhook.type"] = str(webhook_type)
        if object_id is not None:
            attributes["mpt.object.id"] = object_id[:MAX_ATTRIBUTE_LENGTH]
        span.set_attributes(attributes)  # one lock for all of them


class _Current:
    """``span`` current in the block, then ended. An exception leaving the block (an
    ``Exception``, not a cancellation, as in the SDK's ``use_span``) sets its status to ERROR and
    adds an ``exception`` event, both with the exception's type only: its message may come from a
    vendor's secret source and hold a URL or a secret, and spans leave the process."""

    __slots__ = ("_api", "_span", "_token")

    def __init__(self, span: Any, api: Any) -> None:
        self._span = span
        self._api = api  # from _api(), made once by Tracing
        self._token: object = None

    def __enter__(self) -> Any:
        api = self._api
        self._token = api.attach(api.set_span_in_context(self._span))
        return self._span

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        span, api = self._span, self._api
        try:
            api.detach(self._token)
            if isinstance(exc, Exception) and span.is_recording():
                kind_name = type(exc).__qualname__
                span.add_event("exception", {"exception.type": kind_name})
                span.set_status(api.Status(api.ERROR, kind_name))
        finally:
            span.end()


def _api() -> SimpleNamespace:
    """What :class:`_Current` uses of OpenTelemetry, looked up once."""
    from opentelemetry import context, trace

    return SimpleNamespace(
        attach=context.attach,
        detach=context.detach,
        set_span_in_context=trace.set_span_in_context,
        Status=trace.Status,
        ERROR=trace.StatusCode.ERROR,
    )


def _instrument_httpx(provider: Any) -> None:
    try:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    except ImportError:  # pragma: no cover - part of the otel extra
        return
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def configure_from_environment() -> bool:
    """Turn exporting on from the standard environment, when no provider is configured yet:
    ``APPLICATIONINSIGHTS_CONNECTION_STRING`` (Azure Monitor, extra ``mpt-receiver[azure]``) or
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (any OTLP
    collector, extra ``mpt-receiver[otel]``). True when it configured one."""
    if configured_provider() is not None:
        return False
    if os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
        try:
            from azure.monitor.opentelemetry import (  # type: ignore[import-not-found,unused-ignore]
                configure_azure_monitor,
            )
        except ImportError:
            logger.warning(
                "APPLICATIONINSIGHTS_CONNECTION_STRING is set but Azure Monitor is not"
                " installed: pip install 'mpt-receiver[azure]'. Calls are not traced."
            )
            return False
        configure_azure_monitor()
        return True
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        try:
            from opentelemetry import trace
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            logger.warning(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed:"
                " pip install 'mpt-receiver[otel]'. Calls are not traced."
            )
            return False
        provider = TracerProvider()  # resource and sampler from OTEL_* variables
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        return True
    return False
