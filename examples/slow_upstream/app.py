"""A handler that asks a slow upstream, bounded by a deadline, failing closed.

The handler checks the buyer's company against the vendor's CRM over HTTP. The buyer waits in
the platform's wizard for the answer (platform.md §3.4.4: answer within a few seconds), so the
handler gets its own ``deadline`` of 2 s, and ``failure_policy="reject"``: when the CRM is slow or
down, the answer is the order with an error asking the buyer to try again, in time, instead of
a 500 (after which the platform may place the order unvalidated).

Run it:

    export RECEIVER_SECRETS='{"WBH-6000-0001": "change-me-to-a-long-random-secret"}'
    export CRM_URL=https://crm.acme.example
    uvicorn examples.slow_upstream.app:create_app --factory
"""

import os

import httpx

from receiver import ConfigurationError, Order, Receiver

REJECT_MESSAGE = "We could not check your company just now. Please try again in a minute."


def create_app(crm_url: str | None = None, *, deadline: float = 2.0) -> Receiver:
    """The app; the CRM's address is ``crm_url`` or the environment variable CRM_URL."""
    base_url = crm_url or os.environ.get("CRM_URL")
    if not base_url:
        raise ConfigurationError("Set CRM_URL to the CRM's address, e.g. https://crm.acme.example.")
    app = Receiver(reject_message=REJECT_MESSAGE)  # secrets: RECEIVER_SECRETS

    @app.on("ValidatePurchaseOrderDraft", deadline=deadline, failure_policy="reject")
    async def check_customer(order: Order) -> Order:
        company = order.find_parameter("companyName")
        if company is None:
            return order  # nothing to look up
        # The deadline bounds the whole handler; httpx's timeout (per connect, read, ...) is
        # only a backstop. A CRM error raises, and "reject" answers as for a missed deadline.
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as crm:
            response = await crm.get("/customers", params={"name": str(company.value or "")})
            response.raise_for_status()
        if response.json().get("status") == "blocked":
            company.set_error("ACME060", "This company cannot buy Acme products; contact sales.")
        return order

    return app
