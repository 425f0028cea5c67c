"""receiver: this project with its defaults (verification, models, answer check, statistics,
the INFO call line written to a file)."""

import logging
import os

from bench.peers._common import SECRETS
from receiver import Order, Receiver

_log = logging.getLogger("receiver")
_log.setLevel(logging.INFO)
_handler = logging.FileHandler(os.environ.get("BENCH_LOG", os.devnull))
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
_log.addHandler(_handler)

app = Receiver(secrets=SECRETS, admin_token="bench-admin-token-0001")


@app.validate_purchase_order_draft
async def check(order: Order) -> Order:
    order.clear_errors()
    return order
