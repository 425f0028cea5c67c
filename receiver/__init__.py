"""receiver: answer SoftwareOne Marketplace Platform (MPT) webhook calls.

    from receiver import Order, Receiver

    app = Receiver(secrets={"WBH-5433-8787": "s3cret"})

    @app.validate_purchase_order_draft
    async def check(order: Order) -> Order:
        return order

Names are imported on first use: the pytest plugin (loaded in every pytest run of a project
that installs this package) must not pay for the app, pydantic and cryptography up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from receiver.app import Receiver
    from receiver.dispatch import CallContext
    from receiver.errors import ConfigurationError, ReceiverError, TokenError
    from receiver.models import (
        Account,
        Enrollment,
        Order,
        Parameter,
        Request,
        ValidateAnswer,
        Webhook,
    )
    from receiver.types import ObjectType, WebhookType

_HOMES = {
    "Account": "receiver.models",
    "CallContext": "receiver.dispatch",
    "ConfigurationError": "receiver.errors",
    "Enrollment": "receiver.models",
    "ObjectType": "receiver.types",
    "Order": "receiver.models",
    "Parameter": "receiver.models",
    "Receiver": "receiver.app",
    "ReceiverError": "receiver.errors",
    "Request": "receiver.models",
    "TokenError": "receiver.errors",
    "ValidateAnswer": "receiver.models",
    "Webhook": "receiver.models",
    "WebhookType": "receiver.types",
}

__all__ = [
    "Account",
    "CallContext",
    "ConfigurationError",
    "Enrollment",
    "ObjectType",
    "Order",
    "Parameter",
    "Receiver",
    "ReceiverError",
    "Request",
    "TokenError",
    "ValidateAnswer",
    "Webhook",
    "WebhookType",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'receiver' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # next access skips this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
