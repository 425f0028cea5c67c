"""The app of the "load with faults" run (``python -m bench.faults``), served by
``receiver serve bench.fault_app:app --workers N``.

Configuration: secrets from ``RECEIVER_SECRETS``, the store from ``RECEIVER_STORE`` (a Redis URL in
the run), the replay guard on and open when the store is down, the "reject" failure policy, a
0.5 s deadline, 64 KiB bodies at most arriving within 2 s, and the statistics readable with the
token in ``FAULT_ADMIN_TOKEN``. The store's operation timeout is the receiver's default unless
``FAULT_STORE_TIMEOUT`` gives seconds (to compare runs).

The ValidatePurchaseOrderDraft handler branches on the order's ``notes``:

- ``"raise"``: raises (the answer is the order with error ``RCV-VALIDATION-FAILED``);
- ``"hang"``: sleeps 5 s, far past the deadline (same answer, within the deadline);
- anything else: :func:`refusal_for` decides, from the notes alone, whether the ``companyName``
  parameter gets an error (its message quotes the notes) or the order goes back unchanged. The
  client computes the exact answer it must get from the notes it sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import os

from receiver import Order, Receiver
from receiver.store import DEFAULT_TIMEOUT

ADMIN_TOKEN_ENV = "FAULT_ADMIN_TOKEN"
STORE_TIMEOUT_ENV = "FAULT_STORE_TIMEOUT"
DEADLINE = 0.5
MAX_BODY_SIZE = 64 * 1024
BODY_TIMEOUT = 2.0
STATS_FLUSH_INTERVAL = 0.5
HANG_SECONDS = 5.0
RAISE, HANG = "raise", "hang"
REFUSAL_ID = "FLT001"
REFUSED_PARAMETER = "companyName"


def store_timeout() -> float:
    """Seconds a store operation may take: ``FAULT_STORE_TIMEOUT``, else the receiver's
    default."""
    return float(os.environ.get(STORE_TIMEOUT_ENV) or DEFAULT_TIMEOUT)


def refusal_for(notes: str) -> str | None:
    """The error message the handler sets on ``companyName`` for these notes, or None (the
    order is accepted unchanged). About one order in three is refused."""
    if hashlib.sha256(notes.encode()).digest()[0] % 3:
        return None
    return f"Refused for the notes {notes!r}."


app = Receiver(
    replay_guard=True,
    replay_fail_mode="open",
    failure_policy="reject",
    deadline=DEADLINE,
    max_body_size=MAX_BODY_SIZE,
    body_timeout=BODY_TIMEOUT,
    admin_token=os.environ.get(ADMIN_TOKEN_ENV) or None,
    stats_flush_interval=STATS_FLUSH_INTERVAL,
    store_timeout=store_timeout(),
)


class HandlerFailure(RuntimeError):
    """What the "raise" branch raises."""


@app.validate_purchase_order_draft
async def validate(order: Order) -> Order:
    notes = order.notes or ""
    if notes == RAISE:
        raise HandlerFailure("asked to raise")
    if notes == HANG:
        await asyncio.sleep(HANG_SECONDS)
        return order
    message = refusal_for(notes)
    if message is not None:
        order.parameter(REFUSED_PARAMETER).set_error(REFUSAL_ID, message)
    return order
