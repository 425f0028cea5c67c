"""Flushing statistics to a shared store: what this process recorded, sent every interval.

With a shared store (Redis), each process keeps the statistics of its calls since the last flush
and merges them into the store every ``interval`` seconds, in a background task of the serving
event loop, and once more at shutdown. A flush that failed is sent again as it was, with its
number, never merged with newer calls, so that a store which did apply it can tell (see
``Store.merge_statistics``). A forked child starts afresh: what it inherited is the parent's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from receiver._running import process_id, running_loop
from receiver.errors import StoreUnavailableError
from receiver.stats import PendingStatistics, StatsDelta
from receiver.store import Store

logger = logging.getLogger("receiver")


class StatisticsFlusher:
    """Buffers call records for ``store`` and flushes them every ``interval`` seconds."""

    def __init__(self, store: Store, interval: float) -> None:
        self._store = store
        self._interval = interval
        self._pending = PendingStatistics()
        self._unsent: tuple[int, dict[str, StatsDelta]] | None = None
        self._sequence = 0
        self._origin = (process_id(), uuid.uuid4().hex)
        self._task: asyncio.Task[None] | None = None
        self._task_loop: asyncio.AbstractEventLoop | None = None

    def record(self, webhook_id: str, call: dict[str, Any]) -> None:
        """Keep one call record for the next flush (and make sure a flush will come)."""
        self._pending.record(webhook_id, call)
        self.ensure_running()

    def record_unverified(self, webhook_id: str, reason: str, call_time: str) -> None:
        """Count one unverified call for the next flush."""
        self._pending.record_unverified(webhook_id, reason, call_time)
        self.ensure_running()

    def ensure_running(self) -> None:
        """Start the periodic flush in this event loop (again after a fork: the parent's task
        does not exist in the child)."""
        loop = running_loop()
        if self._task is not None and self._task_loop is loop and not self._task.done():
            return
        self._task_loop = loop
        self._task = loop.create_task(self._flush_periodically(), name="receiver-stats-flush")

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:  # never let the task die: the next tick tries again
                logger.exception("Flushing statistics failed")

    async def flush(self) -> bool:
        """Send what was recorded since the last flush. False when the store is unavailable:
        it stays here and goes with the next flush."""
        if process_id() != self._origin[0]:
            # A forked child is a process of its own: what it inherited is the parent's to send.
            self._origin, self._unsent = (process_id(), uuid.uuid4().hex), None
            self._pending = PendingStatistics()
        while True:
            if self._unsent is None:
                if not len(self._pending):
                    return True
                self._sequence += 1
                self._unsent = (self._sequence, self._pending.take())
            sequence, deltas = self._unsent
            try:
                await self._store.merge_statistics(
                    deltas, origin=self._origin[1], sequence=sequence
                )
            except Exception as exc:  # kept as they are; sent again, same number, next time
                if not isinstance(exc, StoreUnavailableError):
                    logger.error("Flushing statistics failed: %s", type(exc).__name__)
                return False
            self._unsent = None

    async def stop(self) -> None:
        """Stop the periodic flush and flush once more; say how many calls could not be sent."""
        task, self._task = self._task, None
        if task is not None and self._task_loop is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if await self.flush():
            return
        unsent = self._unsent[1] if self._unsent is not None else {}
        calls = sum(delta.total for delta in unsent.values())
        calls += sum(delta.total for delta in self._pending.take().values())
        logger.warning(
            "Stopping with the statistics of %d calls not flushed: the store is unavailable.",
            calls,
        )
