"""The replay guard on its own: how long a token is remembered, what it does when the store is
away (the receiver-level behaviour is in tests/test_app_store.py)."""

from __future__ import annotations

import logging

import pytest

from receiver.errors import StoreUnavailableError, TokenError
from receiver.replay import MAX_REPLAY_TTL, ReplayGuard
from receiver.store import MemoryStore
from receiver.tokens import VerifyOptions

pytestmark = pytest.mark.anyio
NOW = 1_700_000_000.0


class AwayStore(MemoryStore):
    async def first_use(self, token_key: bytes, body_digest: bytes, ttl: float) -> bool:
        raise StoreUnavailableError("away")


@pytest.mark.parametrize(
    ("claims", "options", "ttl"),
    [
        pytest.param({"exp": NOW + 300}, VerifyOptions(leeway=30, max_age=None), 330, id="exp"),
        pytest.param(
            {"exp": NOW + 300, "iat": NOW - 100},
            VerifyOptions(leeway=30, max_age=200),
            130,
            id="iat-plus-max-age-first",
        ),
        pytest.param(
            {"exp": NOW + 10**9}, VerifyOptions(leeway=0, max_age=None), MAX_REPLAY_TTL, id="capped"
        ),
        pytest.param({"exp": NOW - 100}, VerifyOptions(leeway=0), 1.0, id="at-least-a-second"),
    ],
)
def test_a_token_is_remembered_while_it_is_acceptable(
    claims: dict[str, float], options: VerifyOptions, ttl: float
) -> None:
    guard = ReplayGuard(MemoryStore(), options, fail_mode="open")
    assert guard.ttl(claims, now=NOW) == ttl


async def test_another_body_with_the_same_token_is_refused() -> None:
    guard = ReplayGuard(MemoryStore(), VerifyOptions(), fail_mode="open")
    claims = {"exp": 4_102_444_800}
    await guard.check(b"sig", claims, b"one")
    await guard.check(b"sig", claims, b"one")
    with pytest.raises(TokenError) as caught:
        await guard.check(b"sig", claims, b"two")
    assert caught.value.reason == "token_replayed"
    await guard.check(b"other-sig", claims, b"two")


async def test_open_lets_calls_through_and_logs_the_first_and_every_thousandth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = ReplayGuard(AwayStore(), VerifyOptions(), fail_mode="open")
    with caplog.at_level(logging.WARNING, logger="receiver"):
        for _ in range(1000):
            await guard.check(b"sig", {"exp": 4_102_444_800}, b"body")
    assert guard.skipped == 1000
    assert [r.getMessage().endswith("(1 calls so far).") for r in caplog.records] == [True, False]


async def test_closed_raises_for_a_503() -> None:
    guard = ReplayGuard(AwayStore(), VerifyOptions(), fail_mode="closed")
    with pytest.raises(StoreUnavailableError):
        await guard.check(b"sig", {"exp": 4_102_444_800}, b"body")
