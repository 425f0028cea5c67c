"""Sync handlers that hang: the threads past their deadline are bounded, then calls are answered
at once by the failure policy, logged and counted."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from receiver import Order, Receiver
from receiver._deadline import run_with_deadline
from receiver._threads import MAX_OVERDUE_THREADS, OverdueThreadsError, ThreadBudget
from tests.conftest import SECRET, WEBHOOK_ID, post

pytestmark = pytest.mark.anyio


async def test_threads_past_their_deadline_are_bounded(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    started = threading.Semaphore(0)
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, failure_policy="reject")

    def hang(order: Order) -> Order:
        started.release()
        release.wait(30)
        return order

    app.add_handler("ValidatePurchaseOrderDraft", hang, deadline=0.05)
    handler = app.handlers["ValidatePurchaseOrderDraft"]
    threads_before = threading.active_count()
    try:
        for _ in range(MAX_OVERDUE_THREADS):
            response = await post(app, purchase_order)
            assert response.json()["error"]["id"] == "RCV-VALIDATION-FAILED"
        assert handler.threads.overdue == MAX_OVERDUE_THREADS
        with caplog.at_level(logging.ERROR, logger="receiver"):
            for _ in range(5):  # answered at once, without starting a thread
                response = await post(app, purchase_order)
                assert response.json()["error"]["id"] == "RCV-VALIDATION-FAILED"
        assert threading.active_count() <= threads_before + MAX_OVERDUE_THREADS
        assert handler.threads.refused == 5
        (line,) = [
            r.getMessage() for r in caplog.records if "past their deadline" in r.getMessage()
        ]
        assert "(1 calls so far)" in line
        (stats,) = app.statistics.all()  # answered 200 by the reject policy, the reason kept
        assert stats.last_call is not None
        assert "past their deadline" in stats.last_call["error"]
    finally:
        release.set()
    for _ in range(MAX_OVERDUE_THREADS):
        started.acquire(timeout=5)


async def test_a_finished_overdue_thread_frees_its_place() -> None:
    budget = ThreadBudget(limit=1)
    release = threading.Event()
    finished = threading.Event()

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "done"

    with pytest.raises(TimeoutError):  # the deadline, as the receiver sets it
        await run_with_deadline(budget.run(slow), 0.05)
    assert budget.overdue == 1
    with pytest.raises(OverdueThreadsError, match="past their deadline"):
        await budget.run(lambda: "refused")
    release.set()
    assert finished.wait(5)
    for _ in range(100):  # the thread's last step (the count) runs just after finished is set
        if budget.overdue == 0:
            break
        await asyncio.sleep(0.01)
    assert budget.overdue == 0
    assert await budget.run(lambda: "again") == "again"


async def test_a_handler_that_raises_is_not_overdue() -> None:
    budget = ThreadBudget(limit=1)

    def boom() -> None:
        raise ValueError("x")

    with pytest.raises(ValueError, match="x"):
        await budget.run(boom)
    assert budget.overdue == 0
