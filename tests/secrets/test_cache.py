"""receiver.secrets.cache: CachedSecrets keeps answers for their TTL, makes one lookup per id at a
time, and bounds the lookups' number, rate, concurrency and memory."""

from __future__ import annotations

import logging
import math
from typing import Any

import anyio
import pytest

from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets import CachedSecrets, StaticSecrets

from .conftest import SECRET, WEBHOOK, CountingSource, FakeClock, cached

pytestmark = pytest.mark.anyio


async def test_cache_keeps_hits_for_ttl() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=60, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    clock.now += 59.9
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    assert fake.calls == [WEBHOOK]
    clock.now += 0.1
    fake.answers[WEBHOOK] = (b"rotated",)
    assert await cache.secrets_for(WEBHOOK) == (b"rotated",)
    assert fake.calls == [WEBHOOK, WEBHOOK]
    assert cache.size == 1


async def test_cache_keeps_misses_for_miss_ttl() -> None:
    clock = FakeClock()
    fake = CountingSource()
    cache = CachedSecrets(fake, ttl=300, miss_ttl=30, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == ()
    clock.now += 29
    assert await cache.secrets_for(WEBHOOK) == ()
    assert fake.calls == [WEBHOOK]
    clock.now += 1
    fake.answers[WEBHOOK] = (b"new",)  # the webhook was created meanwhile
    assert await cache.secrets_for(WEBHOOK) == (b"new",)
    assert fake.calls == [WEBHOOK, WEBHOOK]


async def test_cache_with_zero_ttls_caches_nothing() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = cached(fake, ttl=0, miss_ttl=0, max_lookups_per_second=math.inf)
    for _ in range(3):
        assert await cache.secrets_for(WEBHOOK) == (b"s",)
        assert await cache.secrets_for("WBH-2") == ()
    assert len(fake.calls) == 6
    assert cache.size == 0


async def test_cache_invalidate() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = cached(fake)
    await cache.secrets_for(WEBHOOK)
    await cache.secrets_for("WBH-2")
    cache.invalidate(WEBHOOK)
    assert cache.size == 1
    await cache.secrets_for(WEBHOOK)
    cache.invalidate()
    assert cache.size == 0
    await cache.secrets_for("WBH-2")
    assert fake.calls == [WEBHOOK, "WBH-2", WEBHOOK, "WBH-2"]


async def test_cache_coalesces_concurrent_lookups_of_one_id() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate)
    cache = cached(fake)
    results: list[tuple[bytes, ...]] = []

    async def get() -> None:
        results.append(await cache.secrets_for(WEBHOOK))

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(get)
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK]
        gate.set()
    assert results == [(b"s",)] * 100
    assert fake.calls == [WEBHOOK]


async def test_cache_coalesces_failures_and_does_not_cache_them() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate, error=SecretLookupError("API down"))
    cache = cached(fake)
    errors: list[BaseException] = []

    async def get() -> None:
        try:
            await cache.secrets_for(WEBHOOK)
        except SecretLookupError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(get)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert len(errors) == 10
    assert fake.calls == [WEBHOOK]
    assert cache.size == 0
    fake.error = None
    assert await cache.secrets_for(WEBHOOK) == (b"s",)  # not cached: looked up again
    assert fake.calls == [WEBHOOK, WEBHOOK]


async def test_cache_wraps_unexpected_source_errors() -> None:
    fake = CountingSource(error=RuntimeError(f"boom {SECRET}"))
    with pytest.raises(SecretLookupError, match="CountingSource raised RuntimeError") as caught:
        await cached(fake).secrets_for(WEBHOOK)
    assert SECRET not in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    "answer", [[b"s"], (b"s", "text"), (b"",), "s"], ids=["list", "str-item", "empty", "str"]
)
async def test_cache_refuses_malformed_answers(answer: Any) -> None:
    fake = CountingSource(default=answer)
    with pytest.raises(SecretLookupError, match="must return a tuple of non-empty bytes"):
        await cached(fake).secrets_for(WEBHOOK)


async def test_cache_a_cancelled_lookup_lets_the_waiters_retry() -> None:
    gate = anyio.Event()
    fake = CountingSource({WEBHOOK: (b"s",)}, gate=gate)
    cache = cached(fake)
    results: list[tuple[bytes, ...]] = []
    leader_scope = anyio.CancelScope()

    async def leader() -> None:
        with leader_scope:
            await cache.secrets_for(WEBHOOK)

    async def follower() -> None:
        results.append(await cache.secrets_for(WEBHOOK))

    async with anyio.create_task_group() as tg:
        tg.start_soon(leader)
        await anyio.wait_all_tasks_blocked()
        tg.start_soon(follower)
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK]
        leader_scope.cancel()
        await anyio.wait_all_tasks_blocked()
        assert fake.calls == [WEBHOOK, WEBHOOK]  # the follower looked up itself
        gate.set()
    assert results == [(b"s",)]
    assert leader_scope.cancelled_caught


async def test_cache_limits_concurrent_lookups() -> None:
    gate = anyio.Event()
    fake = CountingSource(default=(b"s",), gate=gate)
    cache = cached(fake, max_concurrent_lookups=3, max_lookups_per_second=math.inf)
    results: list[tuple[bytes, ...]] = []

    async def get(webhook_id: str) -> None:
        results.append(await cache.secrets_for(webhook_id))

    async with anyio.create_task_group() as tg:
        for i in range(50):
            tg.start_soon(get, f"WBH-{i}")
        await anyio.wait_all_tasks_blocked()
        assert fake.in_flight == 3
        gate.set()
    assert fake.max_in_flight == 3
    assert len(fake.calls) == 50
    assert results == [(b"s",)] * 50


async def test_cache_bounds_lookups_queued_behind_a_hanging_source() -> None:
    gate = anyio.Event()
    fake = CountingSource(default=(b"s",), gate=gate)
    cache = cached(fake, max_entries=2, max_concurrent_lookups=1)
    results: dict[str, tuple[bytes, ...]] = {}

    async def get(webhook_id: str) -> None:
        results[webhook_id] = await cache.secrets_for(webhook_id)

    async with anyio.create_task_group() as tg:
        for webhook_id in ("WBH-1", "WBH-2", "WBH-3"):
            tg.start_soon(get, webhook_id)
            await anyio.wait_all_tasks_blocked()
        assert results == {"WBH-3": ()}  # refused at once: two lookups already pending
        gate.set()
    assert results == {"WBH-1": (b"s",), "WBH-2": (b"s",), "WBH-3": ()}
    assert fake.calls == ["WBH-1", "WBH-2"]


async def test_cache_limits_concurrent_lookups_with_slow_sleeps() -> None:
    class Slow(CountingSource):
        async def secrets_for(self, webhook_id: str) -> tuple[bytes, ...]:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await anyio.sleep(0.001)
            self.in_flight -= 1
            return (b"s",)

    fake = Slow()
    cache = CachedSecrets(fake, max_concurrent_lookups=4, max_lookups_per_second=math.inf)
    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(cache.secrets_for, f"WBH-{i}")
    assert fake.max_in_flight == 4


async def test_cache_bounds_memory_and_lookups_under_a_flood_of_forged_ids() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"real",)})
    cache = CachedSecrets(fake, max_entries=1000, max_lookups_per_second=20, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"real",)
    for i in range(50_000):
        clock.now += 0.001  # 50 s of flood
        assert await cache.secrets_for(f"WBH-{i}") == ()
        assert cache.size <= 1000
    allowance = 20 + 20 * 50  # the burst, then 20 per second for 50 s
    assert allowance - 2 <= len(fake.calls) <= allowance
    # the real webhook survived: misses are evicted first
    assert await cache.secrets_for(WEBHOOK) == (b"real",)
    assert fake.calls.count(WEBHOOK) == 1


async def test_cache_lru_bound_without_rate_limit() -> None:
    fake = CountingSource()
    cache = cached(fake, max_entries=100, max_lookups_per_second=math.inf)
    for i in range(10_000):
        await cache.secrets_for(f"WH-{i}")
    assert cache.size == 100
    assert len(fake.calls) == 10_000


async def test_cache_evicts_least_recently_used_hits() -> None:
    fake = CountingSource(default=(b"s",))
    cache = cached(fake, max_entries=2, max_lookups_per_second=math.inf)
    await cache.secrets_for("WBH-a")
    await cache.secrets_for("WBH-b")
    await cache.secrets_for("WBH-a")  # a is now more recent than b
    await cache.secrets_for("WBH-c")  # evicts b
    await cache.secrets_for("WBH-a")
    assert fake.calls == ["WBH-a", "WBH-b", "WBH-c"]
    await cache.secrets_for("WBH-b")
    assert fake.calls == ["WBH-a", "WBH-b", "WBH-c", "WBH-b"]


async def test_cache_evicts_misses_before_hits() -> None:
    fake = CountingSource({"WBH-hit": (b"s",)})
    cache = cached(fake, max_entries=3, max_lookups_per_second=math.inf)
    await cache.secrets_for("WBH-hit")
    for i in range(10):
        await cache.secrets_for(f"WBH-miss-{i}")
        await cache.secrets_for("WBH-miss-0")  # recently used, still evicted before the hit
    await cache.secrets_for("WBH-hit")
    assert fake.calls.count("WBH-hit") == 1
    assert cache.size == 3


async def test_cache_rate_limit_answers_unknown_and_warns_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    fake = CountingSource(default=(b"s",))
    cache = CachedSecrets(fake, max_lookups_per_second=2, clock=clock)
    with caplog.at_level(logging.WARNING, logger="receiver.secrets"):
        answers = [await cache.secrets_for(f"WBH-{i}") for i in range(10)]
        assert answers == [(b"s",)] * 2 + [()] * 8
        assert len(fake.calls) == 2
        assert len(caplog.records) == 1
        clock.now += 59  # refills, but the warning waits for its interval
        answers = [await cache.secrets_for(f"WBH-x{i}") for i in range(5)]
        assert answers == [(b"s",)] * 2 + [()] * 3
        assert len(caplog.records) == 1
        clock.now += 1
        await cache.secrets_for("WBH-y1")
        await cache.secrets_for("WBH-y2")
        await cache.secrets_for("WBH-y3")
    assert len(caplog.records) == 2
    assert "max_lookups_per_second=2" in caplog.records[0].getMessage()
    assert "1 call(s)" in caplog.records[0].getMessage()
    assert "11 call(s)" in caplog.records[1].getMessage()  # 7 + 3 + 1 since the first warning
    assert all(r.name == "receiver.secrets" for r in caplog.records)


async def test_cache_refills_the_bucket_over_time() -> None:
    clock = FakeClock()
    fake = CountingSource(default=(b"s",))
    cache = CachedSecrets(fake, max_lookups_per_second=0.5, clock=clock)  # bursts of 1
    assert await cache.secrets_for("WBH-1") == (b"s",)
    assert await cache.secrets_for("WBH-2") == ()
    clock.now += 1.9
    assert await cache.secrets_for("WBH-2") == ()
    clock.now += 0.1
    assert await cache.secrets_for("WBH-2") == (b"s",)
    clock.now -= 100  # a clock that steps back refills nothing
    assert await cache.secrets_for("WBH-3") == ()


async def test_cache_lookup_errors_count_against_the_rate() -> None:
    fake = CountingSource(error=SecretLookupError("API down"))
    cache = cached(fake, max_lookups_per_second=5)
    outcomes: list[object] = []
    for _ in range(10):
        try:
            outcomes.append(await cache.secrets_for(WEBHOOK))
        except SecretLookupError:
            outcomes.append("error")
    assert outcomes == ["error"] * 5 + [()] * 5
    assert len(fake.calls) == 5


async def test_cache_serves_an_expired_secret_while_rate_limited() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=10, max_lookups_per_second=1, clock=clock)
    assert await cache.secrets_for(WEBHOOK) == (b"s",)
    clock.now += 10.5  # expired, and half a token in the bucket
    fake.answers[WEBHOOK] = (b"t",)
    assert await cache.secrets_for("WBH-forged") == ()  # spends the refilled token
    assert await cache.secrets_for(WEBHOOK) == (b"s",)  # stale, not refused
    clock.now += 1
    assert await cache.secrets_for(WEBHOOK) == (b"t",)


async def test_cache_a_miss_replaces_an_expired_hit() -> None:
    clock = FakeClock()
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=10, clock=clock)
    await cache.secrets_for(WEBHOOK)
    clock.now += 11
    del fake.answers[WEBHOOK]  # the webhook was deleted
    assert await cache.secrets_for(WEBHOOK) == ()
    assert cache.size == 1


async def test_cache_delegates_known_ids_and_shows_its_settings() -> None:
    fake = CountingSource({WEBHOOK: (b"s",)})
    cache = CachedSecrets(fake, ttl=1.5, max_entries=7)
    assert cache.known_webhook_ids() == frozenset({WEBHOOK})
    assert cache.source is fake
    assert repr(cache).startswith("CachedSecrets(<")
    assert "ttl=1.5, miss_ttl=30, max_entries=7" in repr(cache)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ttl": -1}, "ttl must be a number >= 0"),
        ({"miss_ttl": math.nan}, "miss_ttl must be a number >= 0"),
        ({"ttl": "60"}, "ttl must be"),
        ({"max_entries": 0}, "max_entries must be an integer >= 1"),
        ({"max_entries": True}, "max_entries must be"),
        ({"max_concurrent_lookups": 1.5}, "max_concurrent_lookups must be"),
        ({"max_lookups_per_second": 0}, "max_lookups_per_second must be a number > 0"),
        ({"max_lookups_per_second": False}, "max_lookups_per_second must be"),
    ],
)
async def test_cache_refuses_bad_settings(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment):
        CachedSecrets(CountingSource(), **kwargs)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [({WEBHOOK: SECRET}, "not a dict"), (StaticSecrets, "the class StaticSecrets")],
    ids=["mapping", "class"],
)
async def test_cache_refuses_non_sources(source: Any, fragment: str) -> None:
    with pytest.raises(SecretConfigurationError, match=fragment) as caught:
        CachedSecrets(source)
    assert SECRET not in str(caught.value)
