"""Rotating a webhook's secret without refusing a single call.

While a secret is being rotated the webhook has two: give both as a list, and a token signed
with either is accepted (each compared in constant time). The steps:

1. add the new secret beside the old one (``["old", "new"]``) and deploy;
2. set the new secret on the webhook on the platform (from now on calls use it);
3. remove the old secret and deploy.

In production the list goes in RECEIVER_SECRETS, e.g.
``RECEIVER_SECRETS='{"WBH-3000-0001": ["<old>", "<new>"]}'``.

Run it:  uvicorn examples.rotation.app:app
"""

import os

from receiver import Order, Receiver

WEBHOOK_ID = "WBH-3000-0001"
OLD_SECRET = "rotation-old-secret-rotation-old-0001"
NEW_SECRET = "rotation-new-secret-rotation-new-0002"

app = Receiver(
    # Step 1 of the rotation: both secrets. (RECEIVER_SECRETS wins when it is set.)
    secrets=None if "RECEIVER_SECRETS" in os.environ else {WEBHOOK_ID: [OLD_SECRET, NEW_SECRET]},
)


@app.validate_purchase_order_draft
async def check_purchase(order: Order) -> Order:
    company = order.find_parameter("companyName")  # None when the order has none
    if company is not None and not company.value:
        company.set_error("ACME001", "Company name is required.")
    return order
