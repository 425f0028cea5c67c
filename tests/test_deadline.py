"""run_with_deadline: a handler that never waits finishes without a timer; one that waits runs on
under the deadline, with results, exceptions and cancellation passed through as ``await``."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from receiver._deadline import run_with_deadline

pytestmark = pytest.mark.anyio

seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="")


async def test_a_coroutine_that_never_waits_returns_its_value() -> None:
    async def quick() -> str:
        return "done"

    assert await run_with_deadline(quick(), 1) == "done"


async def test_a_coroutine_that_waits_returns_its_value() -> None:
    async def waits() -> list[int]:
        got = []
        for number in range(3):
            await asyncio.sleep(0)
            got.append(await asyncio.get_running_loop().run_in_executor(None, int, str(number)))
        return got

    assert await run_with_deadline(waits(), 5) == [0, 1, 2]


async def test_a_coroutine_that_waits_past_the_deadline_times_out() -> None:
    cleaned_up = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            cleaned_up.append(True)

    with pytest.raises(TimeoutError):
        await run_with_deadline(slow(), 0.02)
    assert cleaned_up == [True]


async def test_the_deadline_counts_the_first_step_too() -> None:
    loop = asyncio.get_running_loop()

    async def busy_then_waits() -> None:
        start = loop.time()
        while loop.time() - start < 0.05:  # blocks the loop past the deadline, then waits
            pass
        await asyncio.sleep(2.0)

    started = loop.time()
    with pytest.raises(TimeoutError):
        await run_with_deadline(busy_then_waits(), 0.02)
    assert loop.time() - started < 1.5  # cancelled at its first wait, not after the sleep


@pytest.mark.parametrize("waits", [False, True])
async def test_exceptions_pass_through(waits: bool) -> None:
    async def fails() -> None:
        if waits:
            await asyncio.sleep(0)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await run_with_deadline(fails(), 1)


@pytest.mark.parametrize("waits_again", [False, True])
async def test_an_exception_caught_by_the_coroutine_lets_it_finish(waits_again: bool) -> None:
    async def shielded() -> str:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            if waits_again:
                await asyncio.sleep(0)
            return "gave up"
        return "slept"  # pragma: no cover

    task = asyncio.ensure_future(run_with_deadline(shielded(), 5))
    await asyncio.sleep(0.01)
    task.cancel()

    assert await task == "gave up"


async def test_cancelling_the_caller_cancels_the_coroutine() -> None:
    cancelled = []

    async def waits() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = asyncio.ensure_future(run_with_deadline(waits(), 5))
    await asyncio.sleep(0.01)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == [True]


async def test_the_coroutine_runs_in_the_callers_context() -> None:
    async def reads() -> str:
        before = seen.get()
        await asyncio.sleep(0)
        seen.set("inner")
        return before

    seen.set("outer")
    assert await run_with_deadline(reads(), 1) == "outer"
    assert seen.get() == "inner"


async def test_other_awaitables_get_the_deadline_too() -> None:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    with pytest.raises(TimeoutError):
        await run_with_deadline(future, 0.02)


async def test_a_resumed_coroutine_left_unfinished_is_closed() -> None:
    closed = []

    async def waits() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            closed.append(True)

    call = run_with_deadline(waits(), 5)
    step = call.send(None)  # runs to the coroutine's first wait
    assert step is not None
    call.close()

    assert closed == [True]
