"""The simulator's webhook record and its wire form (the Webhook object of platform.md §4.3).

A record holds everything the platform keeps of a webhook, the secret and the call statistics
included; :func:`to_wire` renders what the Webhook API shows of it: PascalCase enums, a flat
``criteria`` object, ``statistics`` and the call objects only when ``select`` asks for them, the
``secret`` only in the answer to the create call.

    >>> record = WebhookRecord.new(
    ...     webhook_type=WebhookType("validatePurchaseOrderDraft"),
    ...     url="https://vendor.example/", criteria={"product.id": "PRD-1111-1111"},
    ...     secret="s3cret", account=SIMULATOR_ACCOUNT, webhook_id="WBH-1111-2222")
    >>> wire = to_wire(record)
    >>> wire["type"], wire["objectType"], wire["object"], "secret" in wire
    ('ValidatePurchaseOrderDraft', 'Order', {'id': 'PRD-1111-1111', 'name': 'PRD-1111-1111'}, False)
    >>> to_wire(record, include={"statistics"})["statistics"]["total"]
    0
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from receiver.models.webhook import Statistics, Webhook, WebhookStatus
from receiver.stats import iso_now
from receiver.types import ANSWER, ObjectType, WebhookType, anchor_key

# One vendor account owns every webhook of the simulator (the platform scopes webhooks to the
# account of the API token; the simulator has one token).
# ``type`` and ``status`` are required by the OpenAPI ``Account`` schema of ``Webhook.account``.
SIMULATOR_ACCOUNT: Final[dict[str, str]] = {
    "id": "ACC-1234-5678",
    "name": "Simulated vendor",
    "type": "Vendor",
    "status": "Active",
}
# Who the audit says made a change: the simulator's API token.
API_TOKEN_REF: Final[dict[str, str]] = {"id": "TKN-0000-0001", "name": "Simulator API token"}

OPTIONAL_FIELDS: Final = ("statistics", "lastCall", "lastSuccess", "lastFailure")
"""Fields the Webhook API leaves out unless ``select=+<field>`` asks for them (platform.md §4.3)."""


def new_id(prefix: str, groups: int = 2) -> str:
    """A platform-style id: ``new_id("WBH")`` -> ``WBH-4821-0937``.

    >>> len(new_id("ORD", 3)), new_id("WBH").startswith("WBH-")
    (18, True)
    """
    return prefix + "".join(f"-{secrets.randbelow(10_000):04d}" for _ in range(groups))


def object_type_of(webhook_type: WebhookType) -> ObjectType:
    """The object a type carries (platform.md §4.4); an unknown type is taken as ValidateAnswer."""
    return webhook_type.object_type or ANSWER


@dataclass(slots=True)
class WebhookRecord:
    """Everything the simulator keeps of one webhook. ``seq`` is the creation order (the order
    in which webhooks are considered when an object is validated)."""

    id: str
    type: WebhookType
    url: str
    criteria: dict[str, str]
    secret: str
    account: dict[str, str]
    status: str = WebhookStatus.ENABLED.value
    description: str | None = None
    statistics: dict[str, int] = field(default_factory=lambda: Statistics().to_dict())
    last_call: dict[str, Any] | None = None
    last_success: dict[str, Any] | None = None
    last_failure: dict[str, Any] | None = None
    created_at: str = field(default_factory=iso_now)
    updated_at: str = field(default_factory=iso_now)
    seq: int = 0

    @classmethod
    def new(
        cls,
        *,
        webhook_type: WebhookType,
        url: str,
        criteria: dict[str, str],
        secret: str,
        account: Mapping[str, str],
        webhook_id: str | None = None,
        status: str = WebhookStatus.ENABLED.value,
        description: str | None = None,
    ) -> WebhookRecord:
        """A webhook as just created: no calls yet, created = updated = now."""
        return cls(
            id=webhook_id or new_id("WBH"),
            type=webhook_type,
            url=url,
            criteria=dict(criteria),
            secret=secret,
            account=dict(account),
            status=status,
            description=description,
        )

    @property
    def object_type(self) -> ObjectType:
        return object_type_of(self.type)

    @property
    def object_id(self) -> str:
        """The id of the product (program, form) the webhook is scoped to: its anchor value."""
        return self.criteria.get(anchor_key(self.type), "")

    @property
    def enabled(self) -> bool:
        return self.status == WebhookStatus.ENABLED

    def record_call(self, call: dict[str, Any]) -> None:
        """Count one call (a ``WebhookCall`` dict) and keep it as the last call, success or
        failure, as the platform does (platform.md §4.3.1)."""
        success = bool(call.get("success"))
        self.statistics = Statistics.from_dict(self.statistics).record(success=success).to_dict()
        self.last_call = call
        if success:
            self.last_success = call
        else:
            self.last_failure = call

    def to_storage(self) -> dict[str, Any]:
        """Plain JSON for the store (``seq`` is the store's own column)."""
        data = asdict(self)
        data.pop("seq")
        return data

    @classmethod
    def from_storage(cls, data: Mapping[str, Any], seq: int) -> WebhookRecord:
        values = dict(data)
        values["type"] = WebhookType(values["type"])
        return cls(**values, seq=seq)


def to_wire(
    record: WebhookRecord,
    *,
    include: Collection[str] = (),
    exclude: Collection[str] = (),
    with_secret: bool = False,
) -> dict[str, Any]:
    """The Webhook object as the API returns it. ``include`` names optional fields to add
    (``statistics``, ``lastCall``, ...), ``exclude`` default fields to drop; what is left out
    is listed in ``$meta.omitted``, as the platform does."""
    object_id = record.object_id
    wire: dict[str, Any] = {
        "id": record.id,
        "href": f"/notifications/webhooks/{record.id}",
        "name": record.id,  # the name defaults to the webhook's id (platform.md §4.3)
        "description": record.description,
        "account": record.account,
        "type": record.type,
        "objectType": record.object_type,
        "object": {"id": object_id, "name": object_id},
        "criteria": record.criteria,
        "status": record.status,
        "url": record.url,
        "audit": {
            "created": {"at": record.created_at, "by": API_TOKEN_REF},
            "updated": {"at": record.updated_at, "by": API_TOKEN_REF},
        },
    }
    optional = {
        "statistics": record.statistics,
        "lastCall": record.last_call,
        "lastSuccess": record.last_success,
        "lastFailure": record.last_failure,
    }
    for name, value in optional.items():
        if name in include:
            wire[name] = value
    for name in exclude:
        if name != "id":
            wire.pop(name, None)
    if with_secret:
        wire["secret"] = record.secret
    # The platform leaves nulls out of its answers (platform.md §4.3): a webhook never called has no
    # lastCall at all, not "lastCall": null.
    wire = {name: value for name, value in wire.items() if value is not None}
    omitted = [name for name in OPTIONAL_FIELDS if name not in include]
    omitted += sorted(name for name in exclude if name != "id" and name not in OPTIONAL_FIELDS)
    if omitted:
        wire["$meta"] = {"omitted": omitted}
    # Through the receiver's own model: the one place that defines the wire shape.
    return Webhook.from_dict(wire).to_dict()
