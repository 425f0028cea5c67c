"""The validation of ``app.py`` as an extension SDK v5 vendor writes it today: one function for
every order, on plain dicts, that clears the old errors and then dispatches on the order's type.

In the SDK this function sits behind a django-ninja route,
``@ext.api.post("/v1/orders/validate", auth=JWTAuth(secret_callback))``, whose secret callback
looks the webhook up on the platform API and returns ``EXT_WEBHOOKS_SECRETS[product_id]``. Those
parts need Django and are left out; tests/test_examples_sdk_v5.py calls this function directly
and checks that the receiver answers every order the same way.
"""

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

Order = dict[str, Any]


def validate_order(order: Order) -> Order:
    """The order as it goes back to the platform."""
    order = copy.deepcopy(order)
    order["error"] = None
    for parameter in _ordering(order):
        parameter["error"] = None
    validate = VALIDATORS.get(order.get("type"))
    if validate is not None:  # other types go back unchanged
        validate(order)
    return order


def _ordering(order: Order) -> list[dict[str, Any]]:
    parameters = order.get("parameters") or {}
    return [p for p in parameters.get("ordering") or [] if isinstance(p, dict)]


def _parameter(order: Order, external_id: str) -> dict[str, Any] | None:
    return next((p for p in _ordering(order) if p.get("externalId") == external_id), None)


def _set_constraints(parameter: dict[str, Any], **flags: bool) -> None:
    constraints = parameter.get("constraints") or {}
    parameter["constraints"] = {**constraints, **flags}


def _check_lines(order: Order) -> None:
    items = Counter(line["item"]["id"] for line in order.get("lines") or [])
    repeated = sorted(item for item, count in items.items() if count > 1)
    if repeated:
        order["error"] = {
            "id": "ACME102",
            "message": f"Put each item on one line; these have several: {', '.join(repeated)}.",
        }


def _check_purchase(order: Order) -> None:
    _check_lines(order)
    company = _parameter(order, "companyName")
    if company is not None and not 4 <= len(str(company.get("value") or "")) <= 80:
        company["error"] = {
            "id": "ACME101",
            "message": "The company name must be 4 to 80 characters long.",
        }
        _set_constraints(company, hidden=False, required=True)
    agreement_type = _parameter(order, "agreementType")
    membership = _parameter(order, "membershipId")
    if agreement_type is not None and membership is not None:
        if str(agreement_type.get("value") or "").lower() == "migrate":
            _set_constraints(membership, hidden=False, required=True)
        else:
            _set_constraints(membership, hidden=True, required=False)


VALIDATORS: dict[Any, Callable[[Order], None]] = {
    "Purchase": _check_purchase,
    "Change": _check_lines,
    "Termination": _check_lines,
}
