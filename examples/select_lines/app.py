"""SelectOrderLines: the vendor adds and adjusts the lines a buyer picked (platform.md §2.10, §3.2).

The platform calls this webhook from the purchase wizard, before the order is submitted, with
the order and the items picked so far. The answer's lines are applied by id: a line with an
``id`` changes that line, a line without one is a new line (``order.add_line``). Acme sells its
storage add-on with Acme Pro: one add-on per 10 Pro seats, added or raised as needed; the
add-on alone is refused.

Run it:  RECEIVER_SECRETS='{"WBH-4000-0001": "change-me-to-a-long-random-secret"}' \
         uvicorn examples.select_lines.app:app
"""

from receiver import Order, Receiver
from receiver.models import Line

ACME_PRO = "ITM-1111-1111-0001"
STORAGE_ADDON = "ITM-1111-1111-0002"
SEATS_PER_ADDON = 10

# Secrets come from RECEIVER_SECRETS, read when the server starts.
app = Receiver()


def lines_of(order: Order, item_id: str) -> list[Line]:
    """The order's lines of one item."""
    return [line for line in order.all_lines() if line.item is not None and line.item.id == item_id]


def seats(lines: list[Line]) -> int:
    """How many the lines hold (a quantity that is not a number counts as 0)."""
    return sum(line.quantity for line in lines if isinstance(line.quantity, int))


@app.select_order_lines
async def select_lines(order: Order) -> Order:
    pro, addons = lines_of(order, ACME_PRO), lines_of(order, STORAGE_ADDON)
    if not seats(pro):
        if addons:
            order.set_error("ACME050", "The storage add-on can only be bought with Acme Pro.")
        return order
    needed = -(-seats(pro) // SEATS_PER_ADDON)  # one add-on per started 10 seats
    missing = needed - seats(addons)
    if not addons:
        order.add_line(STORAGE_ADDON, needed)  # no id: a new line
    elif missing > 0:
        line = addons[0]  # the platform matches it by its id
        line.quantity = (line.quantity if isinstance(line.quantity, int) else 0) + missing
    return order
