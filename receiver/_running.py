"""The event loop running in this thread, and this process's id, without a system call each.

On Python 3.11 ``asyncio.get_running_loop()`` calls ``getpid()`` (to notice a fork) every time,
and ``os.getpid()`` is a system call: several microseconds each on a virtual machine, on paths
that run a few times per call. Here the loop last found is kept with its thread: while it runs in
that thread it is the running loop (a thread runs one loop at a time). A fork forgets it, and
the process id is read again in the child.
"""

from __future__ import annotations

import asyncio
import os
import threading

_pid = os.getpid()
_last: tuple[asyncio.AbstractEventLoop | None, int] = (None, 0)


def running_loop() -> asyncio.AbstractEventLoop:
    """What ``asyncio.get_running_loop()`` returns (RuntimeError when no loop runs here)."""
    global _last
    loop, thread = _last
    if loop is not None and thread == threading.get_ident() and loop.is_running():
        return loop
    loop = asyncio.get_running_loop()
    _last = (loop, threading.get_ident())
    return loop


def process_id() -> int:
    """What ``os.getpid()`` returns."""
    return _pid


def _forked() -> None:
    global _pid, _last
    _pid = os.getpid()
    _last = (None, 0)


os.register_at_fork(after_in_child=_forked)
