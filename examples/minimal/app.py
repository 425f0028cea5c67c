"""The smallest useful receiver: one handler that refuses orders without a company name.

Run it:  RECEIVER_SECRETS='{"WBH-0000-0001": "change-me-to-a-long-random-secret"}' \
         uvicorn examples.minimal.app:app
"""

from receiver import Order, Receiver

# Secrets come from RECEIVER_SECRETS ({"WBH-...": "secret"}), read when the server starts.
app = Receiver()


@app.validate_purchase_order_draft
async def check_purchase(order: Order) -> Order:
    company = order.find_parameter("companyName")  # None when the order has none
    if company is not None and not company.value:
        company.set_error("ACME001", "Company name is required.")
    return order
