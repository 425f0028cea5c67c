"""A receiver mounted inside an existing FastAPI (or Starlette) application.

The vendor's API keeps its own routes; the platform's calls go to ``/mpt/`` (register that URL
on the webhook). ``app.mount`` passes the sub-path to the receiver, so ``/mpt/`` and
``/mpt/ValidatePurchaseOrderDraft`` both work.
"""

import os

from fastapi import FastAPI

from receiver import Order, Receiver

receiver = Receiver(
    secrets=None
    if "RECEIVER_SECRETS" in os.environ
    else {
        "WBH-2000-0001": "mounted-secret-mounted-secret-000001",
    }
)


@receiver.validate_purchase_order_draft
async def check(order: Order) -> Order:
    if order.product is None or order.product.id != "PRD-1111-1111":
        order.set_error("ACME030", "This endpoint only validates Acme Cloud Suite orders.")
    return order


app = FastAPI(title="Acme vendor API")


@app.get("/status")
async def status() -> dict[str, str]:
    return {"service": "acme", "status": "ok"}


app.mount("/mpt", receiver)
