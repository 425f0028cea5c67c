"""Which webhook an object triggers: the platform calls only the first enabled webhook whose
type fits the object and whose criteria all match it (platform.md §2.1.1).

Types by object (platform.md §2.2, §2.11):

* an Order by ``type`` + ``status``: Purchase/Draft -> ValidatePurchaseOrderDraft,
  Purchase/Querying -> ValidatePurchaseOrderQuerying, Change/Draft -> ValidateChangeOrderDraft,
  Termination/Draft -> ValidateTerminateOrder, Configuration/Draft ->
  ValidateConfigurationOrderDraft. SelectOrderLines also takes Purchase orders (any status),
  but only as a fallback: a webhook of the specific type wins over it, whatever their creation
  order, because the purchase draft validation is what ``/validate`` runs (the item-selection
  step of the wizard is a separate trigger the simulator cannot tell apart). To reach a
  SelectOrderLines webhook anyway, validate with ``?webhookType=SelectOrderLines``.
* an Enrollment by ``type`` (Change = re-enrollment) and ``status`` (Querying);
* an Account -> ValidateAccount; a Request -> ValidateRequest.

Within one type, webhooks are tried in creation order. Criteria keys are dot-paths into the
object (a list on the way matches when any element does); values compare without regard to
case; ``status`` may hold several comma-separated values, any of which matches.

    >>> order = {"type": "Purchase", "status": "Draft", "product": {"id": "PRD-1"}}
    >>> [str(t) for tier in candidate_types("Order", order) for t in tier]
    ['ValidatePurchaseOrderDraft', 'SelectOrderLines']
    >>> criteria_match({"product.id": "PRD-1", "status": "Draft,Querying"}, order, kind="Order")
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from receiver.simulator.records import WebhookRecord
from receiver.simulator.rql import scalar_text
from receiver.simulator.rules import MULTI_VALUE_KEYS
from receiver.types import (
    ACCOUNT,
    VALIDATE_ACCOUNT,
    WebhookType,
    anchor_key,
    candidate_webhook_types,
)

# One inference for the receiver and the simulator (receiver.types).
candidate_types = candidate_webhook_types


def values_at(obj: Any, path: str) -> list[Any]:
    """Every value at a dot-path; lists on the way are searched element by element.

    >>> values_at({"lines": [{"item": {"id": "A"}}, {"item": {"id": "B"}}]}, "lines.item.id")
    ['A', 'B']
    """
    if isinstance(obj, list):
        return [value for item in obj for value in values_at(item, path)]
    if not isinstance(obj, Mapping):
        return []
    if path in obj:
        value = obj[path]
        return [item for item in value if item is not None] if isinstance(value, list) else [value]
    head, dot, rest = path.partition(".")
    if not dot or head not in obj:
        return []
    return values_at(obj[head], rest)


def criteria_match(criteria: Mapping[str, str], obj: Mapping[str, Any], *, kind: str) -> bool:
    """Whether every criterion holds for ``obj``.

    An Account carries no product, so the anchor key of a ValidateAccount webhook is not looked
    for in it (the platform never fires that type, platform.md §2.8; the simulator lets accounts
    reach it).
    """
    for key, expected in criteria.items():
        if kind == ACCOUNT and key == anchor_key(VALIDATE_ACCOUNT):
            continue
        wanted = expected.split(",") if key in MULTI_VALUE_KEYS else [expected]
        allowed = {value.strip().casefold() for value in wanted}
        texts = (scalar_text(value) for value in values_at(obj, key))
        found = {text.casefold() for text in texts if text is not None}
        if not allowed & found:
            return False
    return True


def select_webhook(
    webhooks: Iterable[WebhookRecord],
    kind: str,
    obj: Mapping[str, Any],
    *,
    only_type: WebhookType | None = None,
) -> WebhookRecord | None:
    """The one webhook the platform would call for ``obj``, or None. ``webhooks`` are in
    creation order; disabled ones are never chosen. ``only_type`` restricts the choice to one
    type (the simulator's ``?webhookType=``)."""
    enabled = [record for record in webhooks if record.enabled]
    tiers = [[only_type]] if only_type is not None else candidate_types(kind, obj)
    for tier in tiers:
        for record in enabled:
            if (
                record.type in tier
                and record.object_type == kind
                and criteria_match(record.criteria, obj, kind=kind)
            ):
                return record
    return None
