"""The store interface: the same behaviour from the memory and the Redis backend, and Redis
outages that cost a bounded wait and leak no password."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from receiver import store as store_module
from receiver.errors import ConfigurationError, StoreUnavailableError
from receiver.stats import StatsDelta
from receiver.store import MemoryStore, RedisStore, Store, as_store, redacted_url, store_from_url
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.anyio


def call(
    success: bool, at: str, webhook_type: str = "ValidatePurchaseOrderDraft"
) -> dict[str, object]:
    return {"success": success, "callTime": at, "webhookType": webhook_type, "outcome": "x"}


SEQUENCE = itertools.count(1)


async def merge(store: Store, deltas: dict[str, StatsDelta]) -> None:
    """One flush of one process (each its own number)."""
    await store.merge_statistics(deltas, origin="test-process", sequence=next(SEQUENCE))


def delta(*calls: dict[str, object]) -> StatsDelta:
    result = StatsDelta()
    for item in calls:
        result.record(item)
    return result


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        made: Store = MemoryStore()
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisStore(url, prefix=request.getfixturevalue("redis_prefix"), timeout=2.0)
    yield made
    await made.aclose()


# -- replay: first use --------------------------------------------------------------------------


async def test_a_new_token_is_a_first_use(store: Store) -> None:
    assert await store.first_use(b"t1", b"body-a", 60) is True


async def test_the_same_token_with_the_same_body_passes_again(store: Store) -> None:
    await store.first_use(b"t1", b"body-a", 60)
    assert await store.first_use(b"t1", b"body-a", 60) is True


async def test_the_same_token_with_another_body_is_refused(store: Store) -> None:
    await store.first_use(b"t1", b"body-a", 60)
    assert await store.first_use(b"t1", b"body-b", 60) is False
    # The first body still passes: the refused attempt did not replace it.
    assert await store.first_use(b"t1", b"body-a", 60) is True


async def test_tokens_are_independent(store: Store) -> None:
    await store.first_use(b"t1", b"body-a", 60)
    assert await store.first_use(b"t2", b"body-b", 60) is True


async def test_an_entry_expires_with_its_ttl(store: Store) -> None:
    await store.first_use(b"t1", b"body-a", 0.2)
    await asyncio.sleep(0.35)
    assert await store.first_use(b"t1", b"body-b", 60) is True


async def test_binary_keys_and_digests_round_trip(store: Store) -> None:
    key, digest = bytes(range(32)), bytes(range(255, 223, -1))
    assert await store.first_use(key, digest, 60) is True
    assert await store.first_use(key, digest, 60) is True
    assert await store.first_use(key, digest[:-1] + b"\x00", 60) is False


# -- statistics -----------------------------------------------------------------------------------


async def test_statistics_start_empty(store: Store) -> None:
    assert await store.statistics() == []


async def test_deltas_from_two_processes_add_up(store: Store) -> None:
    first = delta(call(True, "2026-11-27T10:00:00.000Z"), call(False, "2026-11-27T10:00:01.000Z"))
    second = delta(call(False, "2026-11-27T10:00:02.000Z"), call(False, "2026-11-27T10:00:03.000Z"))
    await merge(store, {"WBH-1": first})
    await merge(store, {"WBH-1": second, "WBH-2": delta(call(True, "2026-11-27T10:00:04.000Z"))})
    one, two = await store.statistics()
    assert (one.webhook_id, two.webhook_id) == ("WBH-1", "WBH-2")
    assert (one.total, one.successes, one.failures, one.failures_since_last_success) == (4, 1, 3, 3)
    assert one.last_call is not None
    assert one.last_call["callTime"] == "2026-11-27T10:00:03.000Z"
    assert one.last_success is not None
    assert one.last_success["callTime"] == "2026-11-27T10:00:00.000Z"
    assert one.webhook_type == "ValidatePurchaseOrderDraft"
    assert (two.total, two.successes, two.failures_since_last_success) == (1, 1, 0)


async def test_a_success_resets_failures_since_last_success(store: Store) -> None:
    await merge(store, {"WBH-1": delta(call(False, "2026-11-27T10:00:00.000Z"))})
    await merge(
        store,
        {
            "WBH-1": delta(
                call(True, "2026-11-27T10:00:01.000Z"), call(False, "2026-11-27T10:00:02.000Z")
            )
        },
    )
    (stats,) = await store.statistics()
    assert stats.failures_since_last_success == 1
    assert stats.to_wire()["statistics"] == {
        "total": 3,
        "successes": 1,
        "failures": 2,
        "failuresSinceLastSuccess": 1,
    }


async def test_a_flush_sent_again_is_counted_once(store: Store) -> None:
    deltas = {"WBH-1": delta(call(True, "2026-11-27T10:00:00.000Z"))}
    for _ in range(3):  # e.g. applied, but the answer timed out; then sent again
        await store.merge_statistics(deltas, origin="p1", sequence=7)
    await store.merge_statistics(deltas, origin="p2", sequence=7)  # another process's flush 7
    (stats,) = await store.statistics()
    assert stats.total == 2


async def test_an_older_call_flushed_late_does_not_replace_the_last_call(store: Store) -> None:
    await merge(store, {"WBH-1": delta(call(True, "2026-11-27T10:00:05.000Z"))})
    await merge(store, {"WBH-1": delta(call(True, "2026-11-27T10:00:01.000Z"))})
    (stats,) = await store.statistics()
    assert stats.total == 2
    assert stats.last_call is not None
    assert stats.last_call["callTime"] == "2026-11-27T10:00:05.000Z"


# -- memory bounds ------------------------------------------------------------------------------


async def test_memory_store_is_bounded() -> None:
    store = MemoryStore(max_tokens=100)
    for number in range(1000):
        await store.first_use(number.to_bytes(4, "big"), b"d", 60)
    assert len(store) == 100
    # The newest are kept, the oldest dropped.
    assert await store.first_use((999).to_bytes(4, "big"), b"other", 60) is False


async def test_memory_store_drops_expired_entries_as_it_goes() -> None:
    store = MemoryStore()
    for number in range(50):
        await store.first_use(number.to_bytes(4, "big"), b"d", 0.05)
    await asyncio.sleep(0.1)
    await store.first_use(b"new", b"d", 60)
    assert len(store) == 1


def test_memory_store_refuses_a_bound_below_one() -> None:
    with pytest.raises(ConfigurationError, match="max_tokens"):
        MemoryStore(max_tokens=0)


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["", "memory", "memory://", "  memory  "])
def test_memory_urls(url: str) -> None:
    assert isinstance(store_from_url(url), MemoryStore)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://cache.example:6380/1", "unix:///run/redis.sock"]
)
def test_redis_urls(url: str) -> None:
    made = store_from_url(url, timeout=0.5)
    assert isinstance(made, RedisStore)
    assert made.timeout == 0.5


@pytest.mark.parametrize(
    "url", ["postgres://user:pw@db/x", "http://cache", "redis-cluster://x", "just-text"]
)
def test_other_urls_are_a_configuration_error_without_the_password(url: str) -> None:
    with pytest.raises(ConfigurationError, match="RECEIVER_STORE") as caught:
        store_from_url(url)
    assert "pw@" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "prefix", "passed_on"),
    [
        ("redis://cache/0", "receiver:", "redis://cache/0"),
        ("redis://cache/0?prefix=acme:", "acme:", "redis://cache/0"),
        (
            "redis://cache/0?health_check_interval=5&prefix=p:",
            "p:",
            "redis://cache/0?health_check_interval=5",
        ),
    ],
)
def test_the_url_may_carry_the_key_prefix(url: str, prefix: str, passed_on: str) -> None:
    made = store_from_url(url)
    assert isinstance(made, RedisStore)
    assert (made.prefix, made.url) == (prefix, passed_on)


def test_none_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECEIVER_STORE", raising=False)
    assert isinstance(as_store(None), MemoryStore)
    monkeypatch.setenv("RECEIVER_STORE", "redis://127.0.0.1:1/0")
    assert isinstance(as_store(None), RedisStore)


def test_a_store_object_is_used_as_it_is() -> None:
    mine = MemoryStore()
    assert as_store(mine) is mine


@pytest.mark.parametrize("value", [42, b"redis://x", object()])
def test_other_values_are_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="store="):
        as_store(value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@cache:6379/0", "redis://***@cache:6379/0"),
        ("redis://app:hunter2@cache/0", "redis://app:***@cache/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_redacted_url(url: str, shown: str) -> None:
    assert redacted_url(url) == shown
    assert repr(RedisStore(url)).count("hunter2") == 0


@pytest.mark.parametrize(("timeout", "retry"), [(0, 1.0), (-1, 1.0), (0.1, -1)])
def test_redis_store_refuses_bad_timings(timeout: float, retry: float) -> None:
    with pytest.raises(ConfigurationError):
        RedisStore("redis://127.0.0.1/0", timeout=timeout, retry_interval=retry)


# -- outages --------------------------------------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        listener.close()


async def test_a_hung_redis_costs_at_most_the_timeout(silent_server: int) -> None:
    store = RedisStore(f"redis://127.0.0.1:{silent_server}/0", timeout=0.2, retry_interval=0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        await store.first_use(b"t", b"d", 60)
    assert time.monotonic() - started < 1.0
    await store.aclose()


async def test_after_a_failure_calls_skip_redis_until_the_retry_interval(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens: connections are refused at once
    store = RedisStore(f"redis://:hunter2@127.0.0.1:{port}/0", timeout=0.5, retry_interval=30)
    caplog.set_level(logging.DEBUG, logger="receiver")
    with pytest.raises(StoreUnavailableError):
        await store.first_use(b"t", b"d", 60)
    assert store.available is False
    attempts: list[None] = []
    monkeypatch.setattr(store, "_connection", lambda: attempts.append(None))
    for _ in range(100):
        with pytest.raises(StoreUnavailableError):
            await merge(store, {"WBH-1": delta(call(True, "2026-11-27T10:00:00.000Z"))})
    assert attempts == []  # no connection attempts while marked down
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1  # one line per outage, not one per call
    assert "hunter2" not in caplog.text
    await store.aclose()


async def test_redis_coming_back_is_used_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path)
    store = RedisStore(server.url, timeout=1.0, retry_interval=0)
    caplog.set_level(logging.INFO, logger="receiver")
    try:
        with pytest.raises(StoreUnavailableError):
            await store.first_use(b"t", b"d", 60)
        server.start()
        assert await store.first_use(b"t", b"d", 60) is True
        assert store.available is True
        assert "is back" in caplog.text
        server.stop()
        with pytest.raises(StoreUnavailableError):
            await store.first_use(b"t", b"other", 60)
        server.start()  # restarted without persistence: the state is gone, the store works
        assert await store.first_use(b"t", b"other", 60) is True
    finally:
        await store.aclose()
        server.stop()


async def test_a_store_used_before_a_fork_works_in_the_child(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix, timeout=2.0)
    assert await store.first_use(b"t", b"d", 60) is True
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new event loop, the parent's client must not be reused
        try:
            answer = asyncio.run(store.first_use(b"t", b"other", 60))
            gc.collect()  # the parent's client, dropped here, must not touch the parent's loop
            os.write(write, b"1" if answer else b"0")
        except BaseException:
            os.write(write, b"E")
        finally:
            os._exit(0)
    os.close(write)
    try:
        _, status = os.waitpid(pid, 0)  # noqa: ASYNC222 - the child exits in milliseconds
        result = os.read(read, 1)
    finally:
        os.close(read)
    assert status == 0
    assert result == b"0"  # the child saw the parent's token: one shared state
    assert await store.first_use(b"t", b"d", 60) is True  # the parent's client still works
    await store.aclose()


# -- concurrent checks (batched into one round trip on Redis) -------------------------------------


async def test_concurrent_uses_of_one_token_let_exactly_one_body_through(store: Store) -> None:
    bodies = [f"body-{number % 5}".encode() for number in range(50)]
    answers = await asyncio.gather(*(store.first_use(b"shared", body, 60) for body in bodies))
    passed = {body for body, answer in zip(bodies, answers, strict=True) if answer}
    assert len(passed) == 1  # the first body, and its repeats; the other four are replays
    assert sum(answers) == 10


async def test_concurrent_new_tokens_all_pass(store: Store) -> None:
    keys = [number.to_bytes(4, "big") for number in range(200)]
    assert all(await asyncio.gather(*(store.first_use(key, b"d", 60) for key in keys)))


@pytest.mark.parametrize(
    "digests",
    [
        [b"", b"x", bytes(range(32)), b"12 34", b" ", b"\x00" * 64],
        [bytes([n]) * n for n in range(1, 40)],
    ],
    ids=["empty-spaces-digits-binary", "every-size-1-to-39"],
)
async def test_a_batch_of_digests_of_any_size_is_answered_token_by_token(
    store: Store, digests: list[bytes]
) -> None:
    """One batch (one command on Redis) carries the digests end to end: each token is
    checked against its own digest, whatever their sizes and bytes."""
    keys = [b"k%d" % number for number in range(len(digests))]
    pairs = list(zip(keys, digests, strict=True))
    first = await asyncio.gather(
        *(store.first_use(key, digest, 60 + n) for n, (key, digest) in enumerate(pairs))
    )
    assert first == [True] * len(digests)
    # Again in one batch: each token with its own body passes, with its neighbour's is refused.
    shifted = digests[1:] + digests[:1]
    again = await asyncio.gather(
        *(store.first_use(key, digest, 60) for key, digest in zip(keys, digests, strict=True)),
        *(store.first_use(key, other, 60) for key, other in zip(keys, shifted, strict=True)),
    )
    assert again[: len(keys)] == [True] * len(keys)
    assert again[len(keys) :] == [
        digest == other for digest, other in zip(digests, shifted, strict=True)
    ]


async def test_redis_keeps_the_digest_itself_under_the_token_key(
    redis_url: str, redis_prefix: str
) -> None:
    """What Redis holds for a token is its body digest as is, under prefix + "replay:" + the
    token key in hex, for as long as asked: instances of other versions sharing the Redis during
    a rolling deploy read and write the same entries."""
    from redis.asyncio import Redis

    store = RedisStore(redis_url, prefix=redis_prefix)
    digest = bytes(range(200, 232))
    token_key = b"\x01token"
    assert await store.first_use(token_key, digest, 60) is True
    client = Redis.from_url(redis_url)
    name = f"{redis_prefix}replay:{token_key.hex()}"
    assert await client.get(name) == digest
    assert 55_000 < await client.pttl(name) <= 60_000
    await client.aclose()
    await store.aclose()


@pytest.mark.parametrize(
    "reply",
    ["return 'x'", "return '1'", "return {1}", "return '11x'"],
    ids=["text", "short", "array", "stray"],
)
async def test_an_answer_that_is_not_one_digit_a_token_is_store_unavailable(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch, reply: str
) -> None:
    """Nothing is trusted from an answer of the wrong shape: the batch fails as if the store
    did not answer (the replay guard's fail mode then decides)."""
    monkeypatch.setattr(store_module, "_FIRST_USE", reply)
    store = RedisStore(redis_url, prefix=redis_prefix, retry_interval=0)
    results = await asyncio.gather(
        store.first_use(b"t1", b"d", 60), store.first_use(b"t2", b"d", 60), return_exceptions=True
    )
    assert all(isinstance(result, StoreUnavailableError) for result in results), results
    await store.aclose()


async def test_a_batch_whose_redis_is_away_fails_every_member_at_once() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5, retry_interval=0)
    results = await asyncio.gather(
        *(store.first_use(number.to_bytes(4, "big"), b"d", 60) for number in range(20)),
        return_exceptions=True,
    )
    assert all(isinstance(result, StoreUnavailableError) for result in results)
    await store.aclose()


async def test_a_cancelled_call_leaves_the_others_checks_going(silent_server: int) -> None:
    store = RedisStore(f"redis://127.0.0.1:{silent_server}/0", timeout=0.5, retry_interval=0)
    tasks = [
        asyncio.create_task(store.first_use(number.to_bytes(4, "big"), b"d", 60))
        for number in range(5)
    ]
    await asyncio.sleep(0.2)  # the batch is on its way to a server that never answers
    tasks[0].cancel()  # the first call (e.g. cut at shutdown)
    # The others get the store's answer: here its timeout.
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 3)
    assert isinstance(results[0], asyncio.CancelledError)
    assert all(isinstance(result, StoreUnavailableError) for result in results[1:])
    await store.aclose()


async def test_a_lone_timeout_does_not_mark_the_store_down(silent_server: int) -> None:
    # A worker's event loop running late looks like a slow Redis once; only repeated timeouts
    # (or a refused connection) take the store out of use.
    store = RedisStore(f"redis://127.0.0.1:{silent_server}/0", timeout=0.1, retry_interval=30)
    for attempt in range(1, 4):
        with pytest.raises(StoreUnavailableError):
            await store.first_use(attempt.to_bytes(4, "big"), b"d", 60)
        assert store.available is (attempt < 3)
    await store.aclose()


@pytest.mark.parametrize("error", [RuntimeError("transport closed"), AttributeError("writelines")])
async def test_any_failure_inside_the_client_is_store_unavailable(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    # redis-py under uvloop raises these when a connection closes under a command.
    async def broken(client: object, batch: object) -> list[object]:
        raise error

    monkeypatch.setattr("receiver.store._send_checks", broken)
    store = RedisStore("redis://127.0.0.1:1/0", timeout=0.5)
    with pytest.raises(StoreUnavailableError):
        await store.first_use(b"t", b"d", 60)
    await store.aclose()


async def test_redis_store_reads_back_the_most_recent_webhooks_first(
    redis_url: str, redis_prefix: str
) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix, timeout=2.0, max_webhooks=2)
    for number in range(3):
        await merge(store, {f"WBH-{number}": delta(call(True, "2026-11-27T10:00:00.000Z"))})
        await asyncio.sleep(0.01)  # distinct flush times
    assert [stats.webhook_id for stats in await store.statistics()] == ["WBH-1", "WBH-2"]
    await store.aclose()


async def test_checks_arriving_during_a_round_trip_go_together_in_the_next(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At rest a check goes out alone at once; the checks that arrive while it is on its way
    share the next round trip (one command each batch, not each call)."""
    batches: list[int] = []
    original = store_module._send_checks

    async def counted(client: Any, *, batch: list[Any]) -> list[Any]:
        batches.append(len(batch))
        await asyncio.sleep(0.05)  # a slow round trip
        return await original(client, batch=batch)

    monkeypatch.setattr(store_module, "_send_checks", counted)
    store = RedisStore(redis_url, prefix=redis_prefix)
    first = asyncio.create_task(store.first_use(b"t0", b"d", 60))
    await asyncio.sleep(0.01)  # the first is on its way
    others = []
    for n in range(1, 6):  # one by one, in turns of their own, while the first is away
        others.append(asyncio.create_task(store.first_use(b"t%d" % n, b"d", 60)))
        await asyncio.sleep(0.002)
    replay = asyncio.create_task(store.first_use(b"t0", b"other body", 60))
    results = await asyncio.gather(first, *others, replay)
    assert results == [True] * 6 + [False]
    assert batches == [1, 6]
    await store.aclose()
