"""receiver, observed: the bench's receiver app with metrics on (``receiver-metrics``) or traced
with a configured OpenTelemetry provider exporting to nowhere, every call sampled
(``receiver-traced``), one in ten (``receiver-traced-10%``, the SDK's TraceIdRatioBased
sampler) or none (``receiver-traced-0%``: what tracing costs a call the sampler leaves out), to
measure what observability costs a call."""

from __future__ import annotations

from typing import Any

from bench.peers._common import SECRETS
from bench.peers.receiver_app import check
from receiver import Receiver


def metrics_app() -> Receiver:
    app = Receiver(secrets=SECRETS, admin_token="bench-admin-token-0001", metrics=True)
    app.validate_purchase_order_draft(check)
    return app


def traced_app(ratio: float = 1.0) -> Receiver:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    class Nowhere(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(ratio)))
    provider.add_span_processor(BatchSpanProcessor(Nowhere()))
    app = Receiver(secrets=SECRETS, admin_token="bench-admin-token-0001", tracer_provider=provider)
    app.validate_purchase_order_draft(check)
    return app
