"""receiver: this project with its defaults (verification, models, answer check, statistics,
and the default logging: the INFO call line on stderr, which the bench sends to a file)."""

from bench.peers._common import SECRETS
from receiver import Order, Receiver

app = Receiver(secrets=SECRETS, admin_token="bench-admin-token-0001")


@app.validate_purchase_order_draft
async def check(order: Order) -> Order:
    order.clear_errors()
    return order
