"""The running loop and the process id, kept without a system call per use: always what asyncio
and os would say, across loops, threads and forks."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from receiver._running import process_id, running_loop
from receiver.requestid import request_id


def test_outside_a_loop_it_raises_as_asyncio_does() -> None:
    with pytest.raises(RuntimeError):
        running_loop()


def test_each_loop_in_turn_is_the_running_one() -> None:
    async def both() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
        return running_loop(), asyncio.get_running_loop()

    first = asyncio.run(both())
    second = asyncio.run(both())
    assert first[0] is first[1]
    assert second[0] is second[1]
    assert first[0] is not second[0]
    with pytest.raises(RuntimeError):  # the last loop found is not running any more
        running_loop()


def test_a_loop_in_another_thread_is_not_this_threads() -> None:
    seen: dict[str, object] = {}
    started, finish = threading.Event(), threading.Event()

    async def other() -> None:
        seen["other"] = running_loop()
        started.set()
        await asyncio.to_thread(finish.wait, 10)  # running until the test is done

    thread = threading.Thread(target=asyncio.run, args=(other(),))
    thread.start()
    started.wait(5)
    try:

        async def here() -> None:
            seen["here"] = running_loop()
            assert seen["here"] is asyncio.get_running_loop()

        asyncio.run(here())
        with pytest.raises(RuntimeError):
            running_loop()  # the other thread's loop runs, but not here
    finally:
        finish.set()
        thread.join(5)
    assert seen["here"] is not seen["other"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_has_its_own_process_id_and_request_ids() -> None:
    assert process_id() == os.getpid()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        try:
            line = f"{int(process_id() == os.getpid())} {request_id(())}\n"
            os.write(write, line.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        same, child_id = pipe.read().split()
    os.waitpid(pid, 0)
    assert same == "1"
    parent_id = request_id(())
    assert len(child_id) == len(parent_id) == 32
    assert child_id != parent_id  # the generator is reseeded in the child


def test_request_ids_are_fresh_hex() -> None:
    ids = {request_id(()) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
