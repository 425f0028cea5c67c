"""An extension SDK v5 validation endpoint, moved to the receiver without touching the platform.

What stays as it was:

- the URL: the platform's webhooks keep calling ``POST /api/v1/orders/validate``
  (:class:`AtPath` serves the receiver there);
- the settings: ``EXT_WEBHOOKS_SECRETS='{"PRD-1111-1111": "<secret>"}'`` (one secret per product),
  ``MPT_API_BASE_URL`` and ``MPT_API_TOKEN``, which the receiver uses to ask the platform API
  which product a webhook belongs to, as the SDK's secret callback did;
- the answers: the same orders are refused with the same errors and parameter flags as the
  SDK-style code in ``before.py`` (tests/test_examples_sdk_v5.py compares them call by call).

What changes: one handler per webhook type instead of a function that dispatches on the order's
type, and the token check described in docs/migrating-from-sdk-v5.md.

Run it (the settings are read when the app is made, hence the factory):

    export EXT_WEBHOOKS_SECRETS='{"PRD-1111-1111": "<the secret of its webhooks>"}'
    export MPT_API_BASE_URL=https://api.platform.softwareone.com MPT_API_TOKEN=<an API token>
    uvicorn examples.sdk_v5_style.app:create_app --factory --port 8080
"""

from collections import Counter
from typing import Any

from receiver import Order, Receiver
from receiver.errors import ParameterNotFoundError
from receiver.models import Parameter
from receiver.secrets import ProductSecrets

SDK_PATH = "/api/v1/orders/validate"
COMPANY_NAME_LENGTH = range(4, 81)


class AtPath:
    """Serve ``app`` at ``path`` as if it were mounted there.

    ``POST {path}`` reaches the receiver's shared URL (the type comes from the order) and
    ``POST {path}/<WebhookType>`` its per-type URLs; any other path (``/healthz``) is passed
    through as it is. Starlette's ``Mount(path, app=receiver)`` serves ``{path}/`` but answers
    ``{path}`` without the slash with a 307 redirect, which the platform does not follow.
    """

    def __init__(self, app: Receiver, path: str = SDK_PATH) -> None:
        self.app = app  # `.app`: the testing plugin finds the receiver through it
        self.path = "/" + path.strip("/")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == self.path or path.startswith(self.path + "/")):
            scope = {**scope, "root_path": scope.get("root_path", "") + self.path}
        await self.app(scope, receive, send)


def _parameter(order: Order, external_id: str) -> Parameter | None:
    try:
        return order.parameter(external_id)
    except ParameterNotFoundError:  # a transfer draft, say, has no companyName
        return None


def _refuse_repeated_items(order: Order) -> None:
    """Two lines for one item: the order is refused, naming the items."""
    items = Counter(line.item.id for line in order.all_lines() if line.item is not None)
    repeated = sorted(item for item, count in items.items() if item and count > 1)
    if repeated:
        order.set_error(
            "ACME102", f"Put each item on one line; these have several: {', '.join(repeated)}."
        )


async def validate_purchase(order: Order) -> Order:
    """ValidatePurchaseOrderDraft: the lines, the company name, and the membership id shown
    (and required) only when the customer migrates."""
    _refuse_repeated_items(order)
    company = _parameter(order, "companyName")
    if company is not None and len(str(company.value or "")) not in COMPANY_NAME_LENGTH:
        company.set_error("ACME101", "The company name must be 4 to 80 characters long.")
    agreement_type = _parameter(order, "agreementType")
    membership = _parameter(order, "membershipId")
    if agreement_type is not None and membership is not None:
        if str(agreement_type.value or "").lower() == "migrate":
            membership.show(required=True)
        else:
            membership.hide()
    return order


async def validate_lines(order: Order) -> Order:
    """ValidateChangeOrderDraft and ValidateTerminateOrder: the lines only."""
    _refuse_repeated_items(order)
    return order


def create_app() -> AtPath:
    """The receiver at the SDK's URL, with the SDK's secret settings (read from the
    environment now)."""
    receiver = Receiver(secrets=ProductSecrets.from_env())
    receiver.add_handler("ValidatePurchaseOrderDraft", validate_purchase)
    receiver.add_handler("ValidateChangeOrderDraft", validate_lines)
    receiver.add_handler("ValidateTerminateOrder", validate_lines)
    return AtPath(receiver)
