"""Traces: each call a server span continuing an incoming traceparent, with child spans for the
stages and the call's attributes; nothing is wrapped without a tracer provider."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from receiver import Order, Receiver
from tests.conftest import OTHER_SECRET, SECRET, WEBHOOK_ID, post, pyjwt_token

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parent.parent
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def traced_app(exporter: InMemorySpanExporter) -> Receiver:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, tracer_provider=provider)

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        return order

    return app


async def test_a_call_is_a_server_span_with_its_stages(
    exporter: InMemorySpanExporter, purchase_order: dict[str, Any]
) -> None:
    app = traced_app(exporter)
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    answer = await post(app, purchase_order, headers={"traceparent": traceparent})
    assert answer.status_code == 200
    spans = {span.name: span for span in exporter.get_finished_spans()}
    server = next(
        span for span in spans.values() if span.parent is not None and span.kind.name == "SERVER"
    )
    assert f"{server.context.trace_id:032x}" == TRACE_ID  # the incoming trace, continued
    assert f"{server.parent.span_id:016x}" == PARENT_ID
    for name in ("receiver.verify", "receiver.handler", "receiver.answer"):
        assert spans[name].parent.span_id == server.context.span_id, name
    assert (
        spans["receiver.secret_lookup"].parent.span_id == spans["receiver.verify"].context.span_id
    )
    attributes = dict(server.attributes or {})
    assert attributes["mpt.webhook.id"] == WEBHOOK_ID
    assert attributes["mpt.webhook.type"] == "ValidatePurchaseOrderDraft"
    assert attributes["mpt.object.id"] == purchase_order["id"]
    assert attributes["receiver.outcome"] == "accepted"
    assert attributes.get("http.response.status_code", attributes.get("http.status_code")) == 200
    everything = repr([(span.name, dict(span.attributes or {})) for span in spans.values()])
    token = answer.request.headers["authorization"].split()[1]
    assert token not in everything
    assert SECRET not in everything


async def test_an_unverified_webhook_id_is_not_an_attribute(
    exporter: InMemorySpanExporter, purchase_order: dict[str, Any]
) -> None:
    app = traced_app(exporter)
    await post(app, purchase_order, token=pyjwt_token(OTHER_SECRET))
    (server,) = [span for span in exporter.get_finished_spans() if span.kind.name == "SERVER"]
    attributes = dict(server.attributes or {})
    assert "mpt.webhook.id" not in attributes
    assert attributes["receiver.outcome"] == "unauthorized"


async def test_without_a_provider_nothing_is_wrapped(purchase_order: dict[str, Any]) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    app.validate_purchase_order_draft(lambda order: order)
    assert (await post(app, purchase_order)).status_code == 200
    assert app._traced is None


def test_exporting_is_turned_on_from_the_environment() -> None:
    """OTEL_EXPORTER_OTLP_ENDPOINT: a provider exporting over OTLP (in a process of its own:
    the global provider is set once per process)."""
    script = textwrap.dedent(
        """
        import asyncio
        from opentelemetry import trace
        from receiver import Receiver
        app = Receiver(secrets={"WBH-1": "s" * 32})
        asyncio.run(app.start())
        provider = trace.get_tracer_provider()
        print(type(provider).__name__, app._traced is not None)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECEIVER_", "OTEL_"))}
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: never reached
    env["OTEL_BSP_SCHEDULE_DELAY"] = "600000"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["TracerProvider", "True"]


async def test_a_call_the_sampler_leaves_out_makes_no_child_spans(
    purchase_order: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Children of a span that is not recorded would be dropped too: they are not made (each
    costs the SDK 10-20 us). A sampled call still gets its children (the test above)."""
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    started: list[str] = []
    tracer = provider.get_tracer("receiver")
    original = type(tracer).start_span

    def counted(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        started.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(type(tracer), "start_span", counted)
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, tracer_provider=provider)
    app.validate_purchase_order_draft(lambda order: order)
    answer = await post(app, purchase_order)
    assert answer.status_code == 200
    assert [name for name in started if name.startswith("receiver.")] == []
    assert len(started) == 1  # the server span only (not recorded)
    assert exporter.get_finished_spans() == ()


async def test_a_call_left_out_still_carries_its_trace_to_the_handler(
    purchase_order: dict[str, Any],
) -> None:
    """Not recorded, the server span is current all the same: what the handler calls out to
    continues the incoming trace, marked not sampled, so the next service leaves it out too."""
    from opentelemetry import trace

    exporter = InMemorySpanExporter()
    provider = TracerProvider()  # parent-based: an unsampled parent leaves the call out
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, tracer_provider=provider)
    seen: list[Any] = []

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        seen.append(trace.get_current_span().get_span_context())
        return order

    unsampled = f"00-{TRACE_ID}-{PARENT_ID}-00"
    answer = await post(app, purchase_order, headers={"traceparent": unsampled})
    assert answer.status_code == 200
    (context,) = seen
    assert f"{context.trace_id:032x}" == TRACE_ID
    assert not context.trace_flags.sampled
    assert exporter.get_finished_spans() == ()


@pytest.mark.parametrize(
    "failure",
    [
        RuntimeError("https://vault-user:vault-password@vault.example/secret"),
        ValueError(SECRET),
    ],
    ids=["url-with-credentials", "the-secret"],
)
async def test_a_stage_that_fails_says_so_with_the_type_only(
    exporter: InMemorySpanExporter, purchase_order: dict[str, Any], failure: Exception
) -> None:
    """A secret source that raises: its span and the verify span are errors naming the
    exception's type; its message (a vendor's, which may hold a URL or a secret) is not in any
    span, since spans leave the process."""
    from opentelemetry.trace import StatusCode

    class Failing:
        async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
            raise failure

        def known_webhook_ids(self) -> None:
            return None

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Receiver(secrets=Failing(), tracer_provider=provider)  # type: ignore[arg-type]
    app.validate_purchase_order_draft(lambda order: order)
    answer = await post(app, purchase_order)
    assert (answer.status_code, answer.json()["id"]) == (401, "secret_unavailable")
    spans = {span.name: span for span in exporter.get_finished_spans()}
    for name in ("receiver.secret_lookup", "receiver.verify"):
        assert spans[name].status.status_code is StatusCode.ERROR, name
    lookup = spans["receiver.secret_lookup"]
    assert lookup.status.description == type(failure).__qualname__
    assert [dict(event.attributes or {}) for event in lookup.events] == [
        {"exception.type": type(failure).__qualname__}
    ]
    everything = repr(
        [
            (span.name, span.status, dict(span.attributes or {}),
             [(event.name, dict(event.attributes or {})) for event in span.events])
            for span in spans.values()
        ]
    )  # fmt: skip
    assert str(failure) not in everything
    assert SECRET not in everything
