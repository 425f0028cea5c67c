"""Per-webhook statistics and call records, in the shapes of the platform's Webhook object.

The platform keeps, per webhook, ``statistics {total, successes, failures,
failuresSinceLastSuccess}`` and three call objects (``lastCall``, ``lastSuccess``,
``lastFailure``). The receiver keeps the same numbers from its own side, so a vendor can compare
them with what the platform shows. Only webhooks with a configured secret get an entry: forged
``webhook_id`` claims cannot grow the table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Final

from receiver.models.webhook import add_counts, count_call, http_status_name

# A call record keeps the start of the answer for debugging, never the whole order.
RESPONSE_EXCERPT = 1024
DEFAULT_MAX_WEBHOOKS = 10_000


def iso_now() -> str:
    """UTC now as the platform writes date-times (``2026-05-12T11:11:11.123Z``)."""
    return iso_from_ns(time.time_ns())


# The date-and-seconds part of the last second formatted: every call formats a time twice,
# nearly always within the same second, and datetime.isoformat costs more than the rest of
# the statistics update.
_last_second: tuple[int, str] = (-1, "")


def iso_from_ns(ns: int) -> str:
    """``ns`` nanoseconds since the epoch, UTC, in the platform's form, exactly as
    ``datetime.fromtimestamp(..., UTC).isoformat(timespec="milliseconds")`` writes it (which
    truncates: ``.1239`` s is ``.123``).

    >>> iso_from_ns(1_778_584_271_123_999_999)
    '2026-05-12T11:11:11.123Z'
    """
    global _last_second
    second, rest = divmod(ns, 1_000_000_000)
    cached = _last_second
    if cached[0] != second:
        when = datetime.fromtimestamp(second, UTC)
        cached = _last_second = (second, when.isoformat(timespec="seconds")[:-6])
    return cached[1] + _MILLISECONDS[rest // 1_000_000]


_MILLISECONDS: Final = tuple(f".{ms:03d}Z" for ms in range(1000))


def call_record(
    *,
    status: int,
    call_time: str,
    response_time: str,
    error: str | None,
    response: bytes,
    headers: str,
    webhook_type: str | None,
    object_id: str | None,
    outcome: str,
    request_id: str | None = None,
) -> dict[str, Any]:
    """A call object in the platform's field names (platform.md §4.3), plus the type, object id
    and outcome."""
    names = _STATUS_NAMES.get(status)
    if names is None:
        names = _STATUS_NAMES[status] = _status_names(status)
    return {
        "success": 200 <= status < 300,
        "callTime": call_time,
        "responseTime": response_time,
        "httpStatusCode": names[0],
        "reasonPhrase": names[1],
        "headers": headers,
        "response": response[:RESPONSE_EXCERPT].decode("utf-8", "replace"),
        "error": error,
        "webhookType": webhook_type,
        "objectId": object_id,
        "outcome": outcome,
        "requestId": request_id,
    }


def _status_names(status: int) -> tuple[str, str]:
    """The platform's name of ``status`` and its reason phrase ("" when unknown)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return http_status_name(status), reason


# By status code: the few statuses the receiver answers with (HTTPStatus(...) costs a lookup
# through the enum machinery on every call).
_STATUS_NAMES: dict[int, tuple[str, str]] = {}


@dataclass(slots=True)
class WebhookStats:
    """What the receiver saw of one webhook."""

    webhook_id: str
    webhook_type: str | None = None
    total: int = 0
    successes: int = 0
    failures: int = 0
    failures_since_last_success: int = 0
    last_call: dict[str, Any] | None = None
    last_success: dict[str, Any] | None = None
    last_failure: dict[str, Any] | None = None
    # Calls that named this webhook with a token its secret did not sign (a stale secret after
    # a rotation, or a forger): counted apart, by reason, and never in the platform's numbers.
    unverified: dict[str, int] = field(default_factory=dict)
    last_unverified: str | None = None
    updated: float = field(default_factory=time.monotonic)

    def record(self, call: dict[str, Any]) -> None:
        _record(self, call)
        self.updated = time.monotonic()

    def record_unverified(self, reason: str, call_time: str) -> None:
        _record_unverified(self, reason, call_time)
        self.updated = time.monotonic()

    def merge(self, delta: StatsDelta) -> None:
        """Add what another process saw after everything already counted here."""
        add_counts(self, delta)
        self.last_call = _newer(self.last_call, delta.last_call)
        self.last_success = _newer(self.last_success, delta.last_success)
        self.last_failure = _newer(self.last_failure, delta.last_failure)
        if delta.webhook_type:
            self.webhook_type = delta.webhook_type
        for reason, count in delta.unverified.items():
            self.unverified[reason] = self.unverified.get(reason, 0) + count
        if delta.last_unverified is not None:
            self.last_unverified = max(self.last_unverified or "", delta.last_unverified)
        self.updated = time.monotonic()

    def to_wire(self) -> dict[str, Any]:
        """The Webhook-shaped view: ``id``, ``type``, ``statistics`` and the call objects."""
        wire: dict[str, Any] = {"id": self.webhook_id}
        if self.webhook_type:
            wire["type"] = self.webhook_type
        wire["statistics"] = {
            "total": self.total,
            "successes": self.successes,
            "failures": self.failures,
            "failuresSinceLastSuccess": self.failures_since_last_success,
        }
        for name, call in (
            ("lastCall", self.last_call),
            ("lastSuccess", self.last_success),
            ("lastFailure", self.last_failure),
        ):
            if call is not None:
                wire[name] = call
        if self.unverified:
            wire["unverified"] = {
                "total": sum(self.unverified.values()),
                "byReason": dict(sorted(self.unverified.items())),
                "lastCallTime": self.last_unverified,
            }
        return wire


class Statistics:
    """In-memory statistics for one process. Bounded: past ``max_webhooks`` entries the least
    recently updated one is dropped (only configured webhooks reach here, so this is a guard)."""

    def __init__(self, max_webhooks: int = DEFAULT_MAX_WEBHOOKS) -> None:
        self._by_id: dict[str, WebhookStats] = {}
        self._max = max_webhooks

    def record(self, webhook_id: str, call: dict[str, Any]) -> None:
        self._entry(webhook_id).record(call)

    def record_unverified(self, webhook_id: str, reason: str, call_time: str) -> None:
        """Count a call refused before its token was verified (its signature is wrong)."""
        self._entry(webhook_id).record_unverified(reason, call_time)

    def merge(self, webhook_id: str, delta: StatsDelta) -> None:
        """Add a delta flushed by a process (see :class:`PendingStatistics`)."""
        self._entry(webhook_id).merge(delta)

    def _entry(self, webhook_id: str) -> WebhookStats:
        entry = self._by_id.get(webhook_id)
        if entry is None:
            if len(self._by_id) >= self._max:
                oldest = min(self._by_id.values(), key=lambda stats: stats.updated)
                del self._by_id[oldest.webhook_id]
            entry = self._by_id[webhook_id] = WebhookStats(webhook_id)
        return entry

    def get(self, webhook_id: str) -> WebhookStats | None:
        return self._by_id.get(webhook_id)

    def all(self) -> list[WebhookStats]:
        return sorted(self._by_id.values(), key=lambda stats: stats.webhook_id)


def _newer(kept: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """The later of two call records by ``callTime`` (same format, so text order is time order);
    calls from several instances can arrive out of order."""
    if new is None:
        return kept
    if kept is None or new["callTime"] >= kept["callTime"]:
        return new
    return kept


@dataclass(slots=True)
class StatsDelta:
    """What one process saw of one webhook since its last flush to the shared store."""

    total: int = 0
    successes: int = 0
    failures: int = 0
    # Failures after the last success of this delta (all of them when it saw none).
    failures_since_last_success: int = 0
    webhook_type: str | None = None
    last_call: dict[str, Any] | None = None
    last_success: dict[str, Any] | None = None
    last_failure: dict[str, Any] | None = None
    unverified: dict[str, int] = field(default_factory=dict)
    last_unverified: str | None = None

    def record(self, call: dict[str, Any]) -> None:
        _record(self, call)

    def record_unverified(self, reason: str, call_time: str) -> None:
        _record_unverified(self, reason, call_time)

    @property
    def saw_success(self) -> bool:
        return self.successes > 0


def _record(entry: WebhookStats | StatsDelta, call: dict[str, Any]) -> None:
    """Count ``call`` (a :func:`call_record`) and keep it as the last call, success or failure."""
    success = call["success"]
    count_call(entry, success=success)
    if success:
        entry.last_success = call
    else:
        entry.last_failure = call
    entry.last_call = call
    if call.get("webhookType"):
        entry.webhook_type = call["webhookType"]


def _record_unverified(entry: WebhookStats | StatsDelta, reason: str, call_time: str) -> None:
    entry.unverified[reason] = entry.unverified.get(reason, 0) + 1
    entry.last_unverified = max(entry.last_unverified or "", call_time)


class PendingStatistics:
    """Calls recorded since the last flush to a shared store, one delta per webhook. Bounded by
    the number of webhooks (not calls): an outage of the store costs no memory per call (the
    receiver keeps at most one unsent flush besides, see ``Receiver.flush_statistics``)."""

    def __init__(self, max_webhooks: int = DEFAULT_MAX_WEBHOOKS) -> None:
        self._by_id: dict[str, StatsDelta] = {}
        self._max = max_webhooks

    def __len__(self) -> int:
        return len(self._by_id)

    def record(self, webhook_id: str, call: dict[str, Any]) -> None:
        delta = self._delta(webhook_id)
        if delta is not None:
            delta.record(call)

    def record_unverified(self, webhook_id: str, reason: str, call_time: str) -> None:
        delta = self._delta(webhook_id)
        if delta is not None:
            delta.record_unverified(reason, call_time)

    def _delta(self, webhook_id: str) -> StatsDelta | None:
        delta = self._by_id.get(webhook_id)
        if delta is None:
            if len(self._by_id) >= self._max:
                return None  # a guard only: configured webhooks are far fewer
            delta = self._by_id[webhook_id] = StatsDelta()
        return delta

    def take(self) -> dict[str, StatsDelta]:
        """Everything pending; the buffer starts empty again."""
        taken, self._by_id = self._by_id, {}
        return taken
