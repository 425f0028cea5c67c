"""Awaiting with a deadline, without arming a timer for work that never waits.

A call's handler and its body read usually finish in their first step (a handler that only looks
at the object; a body that arrived with the headers). ``asyncio.timeout`` would schedule and
cancel a timer for each of them anyway: 5 us or more each, on a call of about 250 us. Nor is the
loop looked up before it is needed (see ``_running``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar, cast

from receiver._running import running_loop

T = TypeVar("T")


async def run_with_deadline(call: Awaitable[T], deadline: float) -> T:
    """Await ``call``; raise TimeoutError after ``deadline`` seconds. A coroutine's first step
    runs before any timer is set, and the timer is armed only if it waits; the deadline still
    counts from before that first step."""
    if not isinstance(call, Coroutine):
        async with asyncio.timeout(deadline):
            return await call
    started = time.monotonic()
    try:
        waiting_for = call.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    # The time the first step took counts (the loop's clock may differ from time.monotonic).
    expires = running_loop().time() + deadline - (time.monotonic() - started)
    async with asyncio.timeout_at(expires):
        return cast(T, await _Resumed(call, waiting_for))


class _Resumed:
    """Awaiting this continues a coroutine that has already run its first step (and yielded
    ``waiting_for`` to the event loop): what the task sends or throws goes on to the coroutine,
    as ``await coroutine`` would have done."""

    __slots__ = ("coroutine", "waiting_for")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], waiting_for: Any) -> None:
        self.coroutine = coroutine
        self.waiting_for = waiting_for

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, waiting_for = self.coroutine, self.waiting_for
        while True:
            try:
                sent = yield waiting_for
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as exc:  # cancellation (the deadline) and anything thrown in
                try:
                    waiting_for = coroutine.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    waiting_for = coroutine.send(sent)
                except StopIteration as done:
                    return done.value


__all__ = ["run_with_deadline"]
