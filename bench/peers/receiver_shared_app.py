"""receiver with its defaults plus a shared store: statistics flushed to the Redis named by
BENCH_STORE, and the replay guard on when BENCH_REPLAY_GUARD=1 (bench/sizing.py)."""

import os

from bench.peers._common import SECRETS
from bench.peers.receiver_app import check
from receiver import Receiver

app = Receiver(
    secrets=SECRETS,
    admin_token="bench-admin-token-0001",
    store=os.environ["BENCH_STORE"],
    replay_guard=os.environ.get("BENCH_REPLAY_GUARD") == "1",
)
app.validate_purchase_order_draft(check)
