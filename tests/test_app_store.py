"""The receiver with a store: the replay guard, its fail modes, and statistics shared through
Redis (flushed in the background, kept locally while Redis is away)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from receiver import Order, Receiver
from receiver.errors import ConfigurationError, StoreUnavailableError
from receiver.stats import StatsDelta
from receiver.store import MemoryStore, RedisStore, Store
from tests.conftest import OTHER_SECRET, SECRET, WEBHOOK_ID, auth, post, pyjwt_token
from tests.redis_server import RedisServer, free_port

pytestmark = pytest.mark.anyio
ADMIN = "admin-token-admin-token"


CREATED: list[Receiver] = []


@pytest.fixture(autouse=True)
async def shut_down_apps() -> AsyncIterator[None]:
    """Every app a test made is shut down (its Redis connections closed) after the test."""
    yield
    while CREATED:
        await CREATED.pop().shutdown()


def make_app(**options: Any) -> Receiver:
    options.setdefault("secrets", {WEBHOOK_ID: SECRET})
    app = Receiver(**options)
    CREATED.append(app)

    @app.validate_purchase_order_draft
    def accept(order: Order) -> Order:
        return order

    return app


@pytest.fixture(params=["memory", "redis"])
def shared_store(request: pytest.FixtureRequest) -> Callable[[], Store]:
    """A factory of stores that see one state: one MemoryStore, or RedisStores on one prefix."""
    if request.param == "memory":
        one = MemoryStore()
        return lambda: one
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return lambda: RedisStore(url, prefix=prefix, timeout=2.0)


def other(order: dict[str, Any]) -> dict[str, Any]:
    changed = dict(order)
    changed["notes"] = "a different body"
    return changed


# -- replay guard ---------------------------------------------------------------------------------


async def test_replay_guard_is_off_by_default(purchase_order: dict[str, Any]) -> None:
    app = make_app()
    token = pyjwt_token()
    assert (await post(app, purchase_order, token=token)).status_code == 200
    assert (await post(app, other(purchase_order), token=token)).status_code == 200
    assert app.settings.replay_guard is False


async def test_a_token_reused_for_another_body_is_refused(
    purchase_order: dict[str, Any],
    shared_store: Callable[[], Store],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(store=shared_store(), replay_guard=True)
    token = pyjwt_token()
    assert (await post(app, purchase_order, token=token)).status_code == 200
    refused = await post(app, other(purchase_order), token=token)
    assert refused.status_code == 401
    assert refused.json()["id"] == "token_replayed"
    assert "already used" in refused.json()["message"]
    assert token not in refused.text
    assert token.split(".")[2] not in caplog.text


async def test_the_platforms_retry_of_the_same_body_passes(
    purchase_order: dict[str, Any], shared_store: Callable[[], Store]
) -> None:
    app = make_app(store=shared_store(), replay_guard=True)
    token = pyjwt_token()
    content = json.dumps(purchase_order).encode()
    for _ in range(3):  # the first call and the platform's two retries (platform.md §3.4.3)
        answer = await post(app, None, token=token, content=content)
        assert answer.status_code == 200


async def test_a_replay_is_caught_across_instances(
    purchase_order: dict[str, Any], shared_store: Callable[[], Store]
) -> None:
    first, second = (make_app(store=shared_store(), replay_guard=True) for _ in range(2))
    token = pyjwt_token()
    assert (await post(first, purchase_order, token=token)).status_code == 200
    assert (await post(second, other(purchase_order), token=token)).status_code == 401
    assert (await post(second, purchase_order, token=token)).status_code == 200


async def test_new_tokens_are_never_refused(purchase_order: dict[str, Any]) -> None:
    app = make_app(store=MemoryStore(), replay_guard=True)
    for number in range(20):
        body = dict(purchase_order, notes=str(number))
        assert (await post(app, body, token=pyjwt_token(jti=str(number)))).status_code == 200


async def test_a_refused_token_never_reaches_the_store(purchase_order: dict[str, Any]) -> None:
    store = MemoryStore()
    app = make_app(store=store, replay_guard=True)
    forged = pyjwt_token(secret="not-the-secret-not-the-secret-000")
    assert (await post(app, purchase_order, token=forged)).status_code == 401
    assert len(store) == 0


@pytest.mark.parametrize(
    ("options", "lifetime", "remembered"),
    [
        pytest.param({"leeway": 0, "max_token_age": None}, 120, 120, id="until-exp"),
        pytest.param({"leeway": 10, "max_token_age": None}, 120, 130, id="plus-leeway"),
        pytest.param({"leeway": 0, "max_token_age": 30}, 120, 30, id="capped-by-max-age"),
        pytest.param({"leeway": 0, "max_token_age": None}, 10**9, 86_400, id="capped-at-a-day"),
    ],
)
async def test_a_seen_token_is_remembered_as_long_as_it_is_acceptable(
    purchase_order: dict[str, Any], options: dict[str, Any], lifetime: int, remembered: int
) -> None:
    store = MemoryStore()
    app = make_app(store=store, replay_guard=True, **options)
    now = int(time.time())
    token = pyjwt_token(iat=now, nbf=now, exp=now + lifetime)
    assert (await post(app, purchase_order, token=token)).status_code == 200
    ((_, expires),) = store._tokens.values()
    assert remembered - 2 <= expires - time.monotonic() <= remembered + 1


# -- fail modes: Redis unreachable --------------------------------------------------------------


def unreachable() -> RedisStore:
    return RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2, retry_interval=0.5)


async def test_fail_open_answers_and_logs(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(store=unreachable(), replay_guard=True, replay_fail_mode="open")
    caplog.set_level(logging.WARNING, logger="receiver")
    token = pyjwt_token()
    assert (await post(app, purchase_order, token=token)).status_code == 200
    assert (await post(app, other(purchase_order), token=token)).status_code == 200
    assert "Replay guard skipped" in caplog.text


async def test_fail_closed_answers_503(purchase_order: dict[str, Any]) -> None:
    app = make_app(store=unreachable(), replay_guard=True, replay_fail_mode="closed")
    answer = await post(app, purchase_order)
    assert answer.status_code == 503
    assert answer.json()["id"] == "replay_guard_unavailable"
    assert answer.headers["retry-after"] == "1"
    (stats,) = app.statistics.all()
    assert stats.last_call is not None
    assert stats.last_call["outcome"] == "store_unavailable"


async def test_without_the_guard_an_unreachable_store_costs_calls_nothing(
    purchase_order: dict[str, Any],
) -> None:
    app = make_app(store=unreachable(), stats_flush_interval=60)
    for _ in range(5):
        assert (await post(app, purchase_order)).status_code == 200


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"replay_fail_mode": "maybe"}, "replay_fail_mode"),
        ({"store_timeout": 0}, "store_timeout"),
        ({"stats_flush_interval": 0}, "stats_flush_interval"),
        ({"store": "mysql://x"}, "RECEIVER_STORE"),
        ({"store": 3}, "store="),
    ],
)
async def test_bad_store_settings_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        make_app(**options)


async def test_the_store_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEIVER_STORE", "redis://127.0.0.1:1/0")
    app = make_app()
    assert app.store is None
    app.startup()
    assert isinstance(app.store, RedisStore)
    assert app.store.url == "redis://127.0.0.1:1/0"


# -- statistics through a shared store ----------------------------------------------------------


async def admin_view(app: Receiver, path: str = "/_receiver/webhooks") -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        answer = await client.get(path, headers=auth(ADMIN))
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


async def test_statistics_of_two_instances_add_up(
    purchase_order: dict[str, Any], redis_url: str, redis_prefix: str
) -> None:
    apps = [
        make_app(store=RedisStore(redis_url, prefix=redis_prefix), admin_token=ADMIN)
        for _ in range(2)
    ]
    for app, calls in zip(apps, (3, 4), strict=True):
        for _ in range(calls):
            await post(app, purchase_order)
    await post(apps[1], purchase_order, token=pyjwt_token(secret=OTHER_SECRET))
    await apps[0].flush_statistics()  # the other flushes on read
    view = await admin_view(apps[1])
    assert view["$meta"]["scope"] == "deployment"
    (entry,) = view["data"]
    # The wrong-signature call is counted apart (its secret did not sign it: not the
    # platform's call, or a stale secret), never in the platform-shaped numbers.
    assert entry["statistics"] == {
        "total": 7,
        "successes": 7,
        "failures": 0,
        "failuresSinceLastSuccess": 0,
    }
    assert "lastFailure" not in entry
    assert entry["unverified"]["total"] == 1
    assert entry["unverified"]["byReason"] == {"bad_signature": 1}
    one = await admin_view(apps[0], f"/_receiver/webhooks/{WEBHOOK_ID}")
    assert one["statistics"]["total"] == 7
    assert one["$meta"]["scope"] == "deployment"
    # Each process still has its own numbers.
    assert [app.statistics.all()[0].total for app in apps] == [3, 4]
    for app in apps:
        await app.shutdown()


async def test_statistics_flush_in_the_background(
    purchase_order: dict[str, Any], redis_url: str, redis_prefix: str
) -> None:
    app = make_app(store=RedisStore(redis_url, prefix=redis_prefix), stats_flush_interval=0.05)
    reader = RedisStore(redis_url, prefix=redis_prefix)
    await post(app, purchase_order)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if await reader.statistics():
            break
    (stats,) = await reader.statistics()
    assert stats.total == 1
    await app.shutdown()
    await reader.aclose()


async def test_statistics_survive_an_outage_and_are_flushed_when_redis_returns(
    purchase_order: dict[str, Any], tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    server.start()
    app = make_app(
        store=RedisStore(server.url, timeout=0.5, retry_interval=0),
        admin_token=ADMIN,
        stats_flush_interval=60,
    )
    try:
        await post(app, purchase_order)
        assert await app.flush_statistics() is True
        server.stop()
        for _ in range(4):
            assert (await post(app, purchase_order)).status_code == 200
        assert await app.flush_statistics() is False
        view = await admin_view(app)
        assert view["$meta"]["scope"] == "process"  # Redis is away: this process's numbers
        assert view["data"][0]["statistics"]["total"] == 5
        server.start()  # a Redis without persistence comes back empty
        assert await app.flush_statistics() is True
        view = await admin_view(app)
        assert view["$meta"]["scope"] == "deployment"
        assert view["data"][0]["statistics"]["total"] == 4  # nothing held here was lost
    finally:
        await app.shutdown()
        server.stop()


async def test_shutdown_flushes_what_is_pending(
    purchase_order: dict[str, Any], redis_url: str, redis_prefix: str
) -> None:
    app = make_app(store=RedisStore(redis_url, prefix=redis_prefix), stats_flush_interval=60)
    for _ in range(3):
        await post(app, purchase_order)
    await app.shutdown()
    reader = RedisStore(redis_url, prefix=redis_prefix)
    (stats,) = await reader.statistics()
    assert stats.total == 3
    await reader.aclose()


async def test_a_memory_store_shows_the_process_scope(purchase_order: dict[str, Any]) -> None:
    app = make_app(admin_token=ADMIN)
    await post(app, purchase_order)
    view = await admin_view(app)
    assert view["$meta"]["scope"] == "process"
    assert view["data"][0]["statistics"]["total"] == 1


class LosesAnswers(MemoryStore):
    """A shared store that applies a flush, then fails to say so (a timeout after Redis did the
    work), the first ``failures`` times."""

    shared = True

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.flushes: list[int] = []

    async def merge_statistics(
        self, deltas: Mapping[str, StatsDelta], *, origin: str, sequence: int
    ) -> None:
        await super().merge_statistics(deltas, origin=origin, sequence=sequence)
        self.flushes.append(sequence)
        if self.failures:
            self.failures -= 1
            raise StoreUnavailableError("timed out")


async def test_a_flush_whose_answer_was_lost_is_not_counted_twice(
    purchase_order: dict[str, Any],
) -> None:
    store = LosesAnswers(failures=2)
    app = make_app(store=store, stats_flush_interval=60)
    await post(app, purchase_order)
    assert await app.flush_statistics() is False
    await post(app, purchase_order)  # a newer call waits for the next flush, apart
    assert await app.flush_statistics() is False
    assert await app.flush_statistics() is True
    (stats,) = await store.statistics()
    assert stats.total == 2
    assert store.flushes == [1, 1, 1, 2]  # flush 1 sent three times, then the newer one


async def test_a_store_raising_anything_keeps_the_statistics(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(MemoryStore):
        shared = True
        calls = 0

        async def merge_statistics(
            self, deltas: Mapping[str, StatsDelta], *, origin: str, sequence: int
        ) -> None:
            Broken.calls += 1
            if Broken.calls == 1:
                raise AttributeError("a bug in a custom store")
            await super().merge_statistics(deltas, origin=origin, sequence=sequence)

    store = Broken()
    app = make_app(store=store, stats_flush_interval=60)
    await post(app, purchase_order)
    assert await app.flush_statistics() is False
    assert "Flushing statistics failed: AttributeError" in caplog.text
    assert await app.flush_statistics() is True
    (stats,) = await store.statistics()
    assert stats.total == 1


async def test_stopping_with_redis_away_says_what_was_not_flushed(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(store=unreachable(), stats_flush_interval=60)
    for _ in range(3):
        await post(app, purchase_order)
    caplog.set_level(logging.WARNING, logger="receiver")
    await app.shutdown()
    assert "statistics of 3 calls not flushed" in caplog.text


@pytest.mark.parametrize("store_kind", ["memory", "redis"])
async def test_wrong_signature_calls_cannot_rewrite_a_webhooks_statistics(
    store_kind: str, purchase_order: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    """A forger who knows a real webhook id (or a platform still signing with a rotated-out
    secret) is counted apart, by reason, without the caller's headers; the platform-shaped
    numbers, the last calls and the type only move for verified calls."""
    if store_kind == "redis":
        url = request.getfixturevalue("redis_url")
        store: Store = RedisStore(url, prefix=request.getfixturevalue("redis_prefix"))
    else:
        store = MemoryStore()
    app = make_app(store=store, admin_token=ADMIN)
    assert (await post(app, purchase_order)).status_code == 200
    before = await admin_view(app, f"/_receiver/webhooks/{WEBHOOK_ID}")
    forged = pyjwt_token(secret=OTHER_SECRET)
    for path in ("/", "/ValidateChangeOrderDraft", "/ValidateAccount"):
        response = await post(
            app, purchase_order, path=path, token=forged, headers={"X-Injected": "text for you"}
        )
        assert response.json()["id"] == "bad_signature"
    after = await admin_view(app, f"/_receiver/webhooks/{WEBHOOK_ID}")
    for name in ("statistics", "lastCall", "lastSuccess", "type"):
        assert after[name] == before[name], name
    assert "lastFailure" not in after
    assert after["unverified"]["total"] == 3
    assert after["unverified"]["byReason"] == {"bad_signature": 3}
    assert after["unverified"]["lastCallTime"]
    assert "text for you" not in json.dumps(after)
