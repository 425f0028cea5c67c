"""Several webhook types on one URL, as the platform allows (platform.md §2.1).

The platform can point its ValidatePurchaseOrderDraft, ValidateChangeOrderDraft and
ValidateTerminateOrder webhooks at the same https URL. The body alone usually tells them apart
(order type + status); the ``webhooks`` map makes it explicit and is required as soon as two
handlers could take the same body (SelectOrderLines and ValidatePurchaseOrderDraft both get
Purchase drafts).
"""

import os

from receiver import Order, Receiver

app = Receiver(
    webhooks={
        "WBH-1000-0001": "ValidatePurchaseOrderDraft",
        "WBH-1000-0002": "ValidateChangeOrderDraft",
        "WBH-1000-0003": "ValidateTerminateOrder",
        "WBH-1000-0004": "SelectOrderLines",
    },
    secrets=None
    if "RECEIVER_SECRETS" in os.environ
    else {
        "WBH-1000-0001": "purchase-secret-purchase-secret-0001",
        "WBH-1000-0002": "change-secret-change-secret-change-02",
        "WBH-1000-0003": "terminate-secret-terminate-secret-03",
        "WBH-1000-0004": "select-secret-select-secret-select-04",
    },
)

MAX_SEATS = 500


@app.validate_purchase_order_draft
def purchase(order: Order) -> Order:
    for line in order.new_lines:
        if (line.quantity or 0) > MAX_SEATS:
            order.set_error("ACME010", f"At most {MAX_SEATS} seats per line.")
    return order


@app.validate_change_order_draft
def change(order: Order) -> Order:
    if order.downsized_lines:
        order.set_error("ACME020", "Seats can only be reduced at renewal.")
    return order


@app.validate_terminate_order
def terminate(order: Order) -> None:
    # Returning None sends the order back as changed in place (here: unchanged, accepted).
    return None


@app.select_order_lines
def select_lines(order: Order) -> Order:
    # Every Acme Pro purchase gets the storage add-on.
    items = {line.item.id for line in order.lines or [] if line.item is not None}
    if "ITM-1111-1111-0001" in items and "ITM-1111-1111-0002" not in items:
        order.add_line("ITM-1111-1111-0002", 1)
    return order
