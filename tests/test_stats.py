"""Statistics: counting per call in one process and as deltas flushed by many processes (in any
split, sent again after a lost answer) giving the same numbers; the platform's date-times."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receiver.models.webhook import Statistics, add_counts
from receiver.stats import (
    PendingStatistics,
    StatsDelta,
    WebhookStats,
    call_record,
    iso_from_ns,
    iso_now,
)
from receiver.store import MemoryStore


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


@given(outcomes, st.lists(st.integers(min_value=0, max_value=60), max_size=6), st.data())
def test_flushes_sent_again_are_counted_once(
    results: list[bool], cuts: list[int], data: st.DataObject
) -> None:
    """A flush whose answer was lost (timeout after the store applied it) is sent again with
    its number: the numbers equal recording each call once."""
    calls = [make_call(number, success) for number, success in enumerate(results)]
    bounds = sorted({0, len(calls), *(min(cut, len(calls)) for cut in cuts)})
    store = MemoryStore()
    for sequence, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        pending = PendingStatistics()
        for call in calls[start:end]:
            pending.record("WBH-1", call)
        deltas = pending.take()
        for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
            asyncio.run(store.merge_statistics(deltas, origin="p1", sequence=sequence))
    merged = {stats.webhook_id: stats for stats in asyncio.run(store.statistics())}.get("WBH-1")
    if not calls:
        assert merged is None
        return
    assert merged is not None
    assert counters(merged) == counters(recorded(calls))


def four(counts: Any) -> tuple[int, int, int, int]:
    return (counts.total, counts.successes, counts.failures, counts.failures_since_last_success)


@given(outcomes)
def test_the_receiver_its_deltas_and_the_model_count_alike(results: list[bool]) -> None:
    """One counting rule (models.webhook.count_call) behind the receiver's entry, a process's
    delta and the Statistics model the simulator keeps; the wire shape is the model's."""
    calls = [make_call(number, success) for number, success in enumerate(results)]
    delta, model = StatsDelta(), Statistics()
    for call in calls:
        delta.record(call)
        model.record(success=call["success"])
    stats = recorded(calls)
    assert four(stats) == four(delta) == four(model)
    assert stats.to_wire()["statistics"] == model.to_dict()
    trailing_failures = 0
    for success in reversed(results):
        if success:
            break
        trailing_failures += 1
    assert four(stats) == (len(results), sum(results), results.count(False), trailing_failures)


@given(outcomes, outcomes)
def test_adding_counts_is_counting_the_later_calls(first: list[bool], later: list[bool]) -> None:
    counts, added, each = Statistics(), Statistics(), Statistics()
    for success in first:
        counts.record(success=success)
        each.record(success=success)
    for success in later:
        added.record(success=success)
        each.record(success=success)
    add_counts(counts, added)
    assert counts == each


def test_flushes_of_two_processes_with_the_same_number_both_count() -> None:
    store = MemoryStore()
    one = StatsDelta()
    one.record(make_call(1, True))
    asyncio.run(store.merge_statistics({"WBH-1": one}, origin="p1", sequence=1))
    asyncio.run(store.merge_statistics({"WBH-1": one}, origin="p2", sequence=1))
    (stats,) = asyncio.run(store.statistics())
    assert stats.total == 2


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


# -- date-times: the platform's form, exactly as datetime writes it ----------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_iso(ns: int) -> str:
    # What iso_now wrote before: datetime (microseconds, truncated) .isoformat(milliseconds).
    when = EPOCH + timedelta(microseconds=ns // 1000)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.integers(min_value=0, max_value=2**62))
def test_iso_from_ns_is_what_datetime_writes(ns: int) -> None:
    assert iso_from_ns(ns) == datetime_iso(ns)


def test_iso_from_ns_across_second_boundaries() -> None:
    second = 1_778_584_271 * 10**9
    for ns in (second - 1, second, second + 999_999, second + 1_000_000, second + 10**9 - 1):
        assert iso_from_ns(ns) == datetime_iso(ns)
    assert iso_from_ns(second + 123_999_999) == "2026-05-12T11:11:11.123Z"


def test_iso_now_is_now_in_the_platforms_form() -> None:
    before = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    now = iso_now()
    after = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now)
    assert before <= now <= after


@pytest.mark.parametrize(
    ("status", "name", "phrase", "success"),
    [
        (200, "OK", "OK", True),
        (401, "Unauthorized", "Unauthorized", False),
        (599, "599", "", False),  # not a status Python knows
    ],
)
def test_call_record_in_the_seed_shape(status: int, name: str, phrase: str, success: bool) -> None:
    record = call_record(
        status=status,
        call_time="2026-11-27T10:00:00.000Z",
        response_time="2026-11-27T10:00:00.010Z",
        error="boom",
        response=b"x" * 5000,
        headers="content-type: application/json",
        webhook_type=None,
        object_id=None,
        outcome="failed",
    )
    assert (record["httpStatusCode"], record["reasonPhrase"]) == (name, phrase)
    assert record["success"] is success
    assert len(record["response"]) == 1024  # the start of the answer only
