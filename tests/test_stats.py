"""Statistics counting: per call in one process, and as deltas flushed by many processes (in
any split, with failed flushes put back) giving the same numbers."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from receiver.stats import PendingStatistics, Statistics, StatsDelta, WebhookStats, call_record


def make_call(number: int, success: bool) -> dict[str, Any]:
    return {
        "success": success,
        "callTime": f"2026-11-27T10:{number // 60:02d}:{number % 60:02d}.000Z",
        "webhookType": "ValidatePurchaseOrderDraft",
        "outcome": "accepted" if success else "failed",
    }


outcomes = st.lists(st.booleans(), max_size=60)


def recorded(calls: list[dict[str, Any]]) -> WebhookStats:
    stats = WebhookStats("WBH-1")
    for call in calls:
        stats.record(call)
    return stats


def counters(stats: WebhookStats) -> tuple[Any, ...]:
    return (
        stats.total,
        stats.successes,
        stats.failures,
        stats.failures_since_last_success,
        stats.last_call,
        stats.last_success,
        stats.last_failure,
    )


@given(outcomes, st.lists(st.integers(min_value=0, max_value=60), max_size=6))
def test_deltas_split_anywhere_add_up_to_recording_each_call(
    results: list[bool], cuts: list[int]
) -> None:
    calls = [make_call(number, success) for number, success in enumerate(results)]
    bounds = sorted({0, len(calls), *(min(cut, len(calls)) for cut in cuts)})
    merged = WebhookStats("WBH-1")
    for start, end in itertools.pairwise(bounds):
        delta = StatsDelta()
        for call in calls[start:end]:
            delta.record(call)
        merged.merge(delta)
    assert counters(merged) == counters(recorded(calls))


@given(outcomes, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_a_failed_flush_put_back_loses_and_reorders_nothing(
    results: list[bool], first_flush: int, failed_flush: int
) -> None:
    calls = [make_call(number, success) for number, success in enumerate(results)]
    first_flush = min(first_flush, len(calls))
    failed_flush = min(max(failed_flush, first_flush), len(calls))
    pending = PendingStatistics()
    store = Statistics()
    for call in calls[:first_flush]:
        pending.record("WBH-1", call)
    for webhook_id, delta in pending.take().items():
        store.merge(webhook_id, delta)
    for call in calls[first_flush:failed_flush]:
        pending.record("WBH-1", call)
    taken = pending.take()  # this flush fails ...
    for call in calls[failed_flush:]:
        pending.record("WBH-1", call)  # ... while calls go on
    pending.put_back(taken)
    for webhook_id, delta in pending.take().items():
        store.merge(webhook_id, delta)
    merged = store.get("WBH-1")
    if not calls:
        assert merged is None
        return
    assert merged is not None
    assert counters(merged) == counters(recorded(calls))


def test_pending_statistics_are_bounded_by_webhooks_not_calls() -> None:
    pending = PendingStatistics(max_webhooks=3)
    for number in range(10_000):
        pending.record(f"WBH-{number % 5}", make_call(number % 3600, number % 2 == 0))
    assert len(pending) == 3
    taken = pending.take()
    assert len(pending) == 0
    assert sum(delta.total for delta in taken.values()) == 6_000


def test_an_older_record_does_not_replace_a_newer_one() -> None:
    stats = recorded([make_call(10, True)])
    late = StatsDelta()
    late.record(make_call(5, False))
    stats.merge(late)
    assert stats.last_call is not None
    assert stats.last_call["callTime"] == make_call(10, True)["callTime"]
    assert stats.last_failure is not None  # there was none: the older one is the latest known
    assert stats.total == 2


def test_call_record_in_the_seed_shape() -> None:
    record = call_record(
        status=599,
        call_time="2026-11-27T10:00:00.000Z",
        response_time="2026-11-27T10:00:00.010Z",
        error="boom",
        response=b"x" * 5000,
        headers="content-type: application/json",
        webhook_type=None,
        object_id=None,
        outcome="failed",
    )
    assert record["success"] is False
    assert record["reasonPhrase"] == ""  # not a status Python knows
    assert len(record["response"]) == 1024
