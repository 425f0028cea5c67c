"""One secret per product, found the way the platform's extension SDK finds it (platform.md §1.5).

A vendor with several products keeps one secret per product: EXT_WEBHOOKS_SECRETS is a JSON
object ``{"PRD-1111-1111": "<secret>"}``. A call names only its webhook, so for a webhook id it
has not seen the receiver asks the platform API which product the webhook belongs to:

    GET {MPT_API_BASE_URL}/public/v1/notifications/webhooks/{webhook_id}?select=criteria
    Authorization: Bearer {MPT_API_TOKEN}

then checks the token with the secret of ``criteria["product.id"]``. Answers are cached (5
minutes; unknown webhooks 30 s), concurrent lookups of one id make one request, and the rate
of lookups is bounded, so forged webhook ids cannot flood the platform API.

Run it (the settings are read when the app is made, hence the factory):

    export EXT_WEBHOOKS_SECRETS='{"PRD-1111-1111": "<the secret of its webhooks>"}'
    export MPT_API_BASE_URL=https://api.platform.softwareone.com MPT_API_TOKEN=<an API token>
    uvicorn examples.product_secrets.app:create_app --factory
"""

from receiver import Order, Receiver
from receiver.secrets import ProductSecrets


def create_app() -> Receiver:
    """The app, with its secrets from EXT_WEBHOOKS_SECRETS, MPT_API_BASE_URL and MPT_API_TOKEN."""
    app = Receiver(secrets=ProductSecrets.from_env())

    @app.validate_purchase_order_draft
    async def check_purchase(order: Order) -> Order:
        company = order.find_parameter("companyName")  # None when the order has none
        if company is not None and not company.value:
            company.set_error("ACME001", "Company name is required.")
        return order

    return app
