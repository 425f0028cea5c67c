"""Sync handlers in worker threads, with a bound on the threads that outlive their deadline.

A thread cannot be stopped. When a call's deadline passes, the call is answered (by the failure
policy) while its thread runs on, outside anyio's thread limit. A handler that hangs on every
call would so grow the process by a thread a call. :class:`ThreadBudget` counts, per handler,
the threads still running past their deadline; once ``limit`` of them are, the handler's next
calls are refused at once (:class:`OverdueThreadsError`, answered by the failure policy) until
one of them finishes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

import anyio.to_thread

from receiver.errors import ReceiverError

T = TypeVar("T")

MAX_OVERDUE_THREADS: Final = 8  # per handler


class OverdueThreadsError(ReceiverError):
    """A sync handler's call refused without starting a thread: too many of its threads are
    still running past their deadline."""


class ThreadBudget:
    """Runs one handler's calls in worker threads and counts those past their deadline."""

    def __init__(self, limit: int = MAX_OVERDUE_THREADS) -> None:
        self.limit = limit
        self.refused = 0  # calls refused because the budget was spent
        self._overdue = 0
        self._lock = threading.Lock()

    @property
    def overdue(self) -> int:
        """Threads of this handler still running although their call's deadline passed."""
        return self._overdue

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread; if the caller is cancelled (its deadline) while the
        thread runs, the thread counts as overdue until it returns."""
        if self._overdue >= self.limit:
            self.refused += 1
            raise OverdueThreadsError(
                f"{self._overdue} calls of this handler are still running past their deadline"
                f" (at most {self.limit}); answered at once by the failure policy."
            )
        finished = overdue = False

        def call() -> T:
            nonlocal finished
            try:
                return fn(*args)
            finally:
                with self._lock:
                    finished = True
                    if overdue:
                        self._overdue -= 1

        try:
            return await anyio.to_thread.run_sync(call)
        except BaseException:  # the deadline's cancellation (or the handler's own exception)
            with self._lock:
                if not finished:
                    overdue = True
                    self._overdue += 1
            raise
