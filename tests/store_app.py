"""The app of the multi-process store tests: secrets from RECEIVER_SECRETS, the store from
RECEIVER_STORE, the replay guard on, statistics readable with ADMIN_TOKEN."""

from __future__ import annotations

from receiver import Order, Receiver

ADMIN_TOKEN = "store-test-admin-token"

app = Receiver(
    replay_guard=True, admin_token=ADMIN_TOKEN, stats_flush_interval=0.2, store_timeout=0.5
)


@app.validate_purchase_order_draft
def accept(order: Order) -> Order:
    return order
