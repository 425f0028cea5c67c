"""The app that ``tests/test_serve_process.py`` serves with ``receiver serve`` in a subprocess.

Secrets come from ``RECEIVER_SECRETS`` (the test sets it). Each handler is on its own path:

- ``POST /ValidatePurchaseOrderDraft``: answers at once, the order unchanged;
- ``POST /ValidateChangeOrderDraft``: sleeps the seconds given in the order's ``notes`` (e.g.
  ``"1.5"``), then answers with ``notes`` = ``"slept 1.5"``. When ``SERVE_APP_STARTED`` names a
  file, a line is appended to it as the handler starts, so the test knows the call is in flight;
- ``POST /ValidateTerminateOrder``: answers with the worker's process id in ``notes``.
"""

from __future__ import annotations

import asyncio
import os

from receiver import Order, Receiver

STARTED_FILE_ENV = "SERVE_APP_STARTED"

# The deadline is far above any sleep the tests ask for: the server's grace, not the handler's
# deadline, is what must end a call that is too slow.
app = Receiver(deadline=120)


@app.validate_purchase_order_draft
async def fast(order: Order) -> Order:
    return order


@app.validate_change_order_draft
async def slow(order: Order) -> Order:
    seconds = float(order.notes or "0")
    started_file = os.environ.get(STARTED_FILE_ENV)
    if started_file:
        with open(started_file, "a") as marks:  # noqa: ASYNC230 - a few bytes, before the sleep
            marks.write(f"{order.id}\n")
    await asyncio.sleep(seconds)
    order.notes = f"slept {order.notes}"
    return order


@app.validate_terminate_order
async def pid(order: Order) -> Order:
    order.notes = str(os.getpid())
    return order
