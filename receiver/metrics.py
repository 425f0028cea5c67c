"""Metrics (extra ``mpt-receiver[prometheus]``): what the calls did, for Prometheus.

On with ``Receiver(metrics=True)`` or ``RECEIVER_METRICS=1``; served at ``/_receiver/metrics``
(behind the admin token when one is set). With several worker processes
(``receiver serve --workers N``) the library's multiprocess mode adds up the workers: the
``PROMETHEUS_MULTIPROC_DIR`` they share is made by ``receiver serve`` when it is not set.

Labels come from closed sets only: the registered webhook types (``unknown`` otherwise), the
outcomes, the HTTP status, the refusal reasons, the lookup results. Never a webhook id from an
unverified token, an object id or a header: a flood of forged ids adds no time series.

    receiver_calls_total{webhook_type, outcome, status}
    receiver_call_duration_seconds{webhook_type}           (histogram)
    receiver_deadline_misses_total{webhook_type}
    receiver_token_refusals_total{reason}
    receiver_secret_lookups_total{result}                  (hit, miss, failure)
    receiver_replay_refusals_total
    receiver_store_available                               (1 or 0; a shared store only)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import Any, Final

from receiver.errors import ConfigurationError
from receiver.wire import ErrorId

BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
UNKNOWN_TYPE: Final = "unknown"

# The lookup result of a call refused before its webhook was known (otherwise it is a hit).
_LOOKUP_RESULT: Final[dict[str, str]] = {
    ErrorId.UNKNOWN_WEBHOOK: "miss",
    ErrorId.SECRET_UNAVAILABLE: "failure",
}

_METRICS: dict[str, Any] = {}  # process-wide, as Prometheus's registry is


def _metrics() -> dict[str, Any]:
    """The metric objects, made once per process (after PROMETHEUS_MULTIPROC_DIR is set)."""
    if _METRICS:
        return _METRICS
    try:
        from prometheus_client import Counter, Gauge, Histogram
    except ImportError:
        raise ConfigurationError(
            "metrics=True (RECEIVER_METRICS) needs prometheus-client: pip install"
            " 'mpt-receiver[prometheus]'."
        ) from None
    _METRICS.update(
        calls=Counter("receiver_calls", "Calls answered.", ["webhook_type", "outcome", "status"]),
        duration=Histogram(
            "receiver_call_duration_seconds",
            "Time from the request to the answer.",
            ["webhook_type"],
            buckets=BUCKETS,
        ),
        deadline_misses=Counter(
            "receiver_deadline_misses", "Handlers that missed their deadline.", ["webhook_type"]
        ),
        refusals=Counter(
            "receiver_token_refusals", "Calls refused for their token (401).", ["reason"]
        ),
        lookups=Counter(
            "receiver_secret_lookups",
            "Secret lookups: found (hit), no such webhook (miss), failed or timed out (failure).",
            ["result"],
        ),
        replay=Counter("receiver_replay_refusals", "Tokens refused as replayed."),
        store=Gauge(
            "receiver_store_available",
            "Whether the shared store answers (1) or not (0).",
            multiprocess_mode="livemin",
        ),
    )
    return _METRICS


class Metrics:
    """Counts the calls of one receiver; ``types`` are the label values a type may take."""

    def __init__(self, types: Collection[str], store_available: Callable[[], bool] | None) -> None:
        self._metrics = _metrics()
        self._types = frozenset(types)
        self._store_available = store_available
        # Each metric's child for a set of labels, found once: labels() validates and locks on
        # every use. The label values come from closed sets, so this stays small.
        self._children: dict[tuple[str, tuple[Any, ...]], Any] = {}

    def _child(self, name: str, *labels: Any) -> Any:
        key = (name, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metrics[name].labels(*map(str, labels))
        return child

    def observe(
        self,
        *,
        webhook_type: str | None,
        outcome: str,
        status: int,
        duration: float,
        error_id: str | None,
        webhook_known: bool,
        deadline_missed: bool,
    ) -> None:
        """Count one call. ``webhook_known``: a secret was found for its token's webhook."""
        child = self._child
        label = webhook_type if webhook_type in self._types else UNKNOWN_TYPE
        child("calls", label, outcome, status).inc()
        child("duration", label).observe(duration)
        if deadline_missed:
            child("deadline_misses", label).inc()
        if status == 401 and error_id is not None:
            child("refusals", error_id).inc()
            if error_id == ErrorId.TOKEN_REPLAYED:
                self._metrics["replay"].inc()
        lookup = "hit" if webhook_known else _LOOKUP_RESULT.get(error_id or "")
        if lookup is not None:  # None: refused before any lookup (no token, not JSON, ...)
            child("lookups", lookup).inc()

    def render(self) -> tuple[bytes, str]:
        """The text exposition of every metric (all workers' in multiprocess mode)."""
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector
        from prometheus_client.registry import CollectorRegistry

        if self._store_available is not None:
            self._metrics["store"].set(1 if self._store_available() else 0)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
