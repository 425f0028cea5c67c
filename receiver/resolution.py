"""Which handler a call goes to: its webhook type, from the URL, the webhook id or the body.

In order: the URL path (``POST /ValidateChangeOrderDraft``), the receiver's
``webhooks={webhook_id: type}`` map, then the body (an Order's ``type`` + ``status``, an
Enrollment's ``type`` + ``status``, the id prefix). When the body leaves more than one registered
handler possible, that is a configuration error the vendor fixes with ``webhooks=``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any

from receiver._text import with_article
from receiver.dispatch import Handler
from receiver.errors import AmbiguousHandlersError
from receiver.models import ObjectModel
from receiver.types import (
    PURCHASE_WEBHOOK_TYPES,
    SELECT_ORDER_LINES,
    ObjectType,
    WebhookType,
    candidate_webhook_types,
    object_type_for_id,
)


def resolve(
    webhook_type: WebhookType | None,
    webhook_id: str | None,
    webhooks: Mapping[str, WebhookType],
    handlers: Mapping[WebhookType, Handler],
    body: Mapping[str, Any],
) -> tuple[WebhookType | None, Handler | None]:
    """The call's webhook type and its handler: ``webhook_type`` from the path when there is
    one, else the ``webhooks`` map's entry for ``webhook_id``, else what ``body`` looks like.
    The handler is None when nothing registered takes the call (the type then says what the
    body looked like, for the message)."""
    if webhook_type is None and webhook_id is not None:
        webhook_type = webhooks.get(webhook_id)
    if webhook_type is None:
        chosen, looks_like = resolve_from_body(body, handlers)
        webhook_type = chosen or looks_like
    if webhook_type is None:
        return None, None
    return webhook_type, handlers.get(webhook_type)


def configuration_problems(
    handlers: Mapping[WebhookType, Handler],
    webhooks: Mapping[str, WebhookType],
    known_ids: frozenset[str] | None,
) -> list[str]:
    """What will keep calls from finding their handler (each a sentence saying what to do):
    no handler at all, a ``webhooks=`` entry without a handler or without a secret (when the
    secret source lists its ids), types the body alone cannot tell apart on one URL."""
    problems: list[str] = []
    if not handlers:
        problems.append(
            "No handlers are registered: every call will get 404. Add one, e.g."
            " `@app.validate_purchase_order_draft`."
        )
    for webhook_id, webhook_type in sorted(webhooks.items()):
        if webhook_type not in handlers:
            problems.append(
                f"webhooks= maps {webhook_id} to {webhook_type}, which has no handler; add"
                f" `@app.{webhook_type.snake_name}`."
            )
        if known_ids is not None and webhook_id not in known_ids:
            problems.append(
                f"webhooks= names {webhook_id}, which has no secret; its calls will be refused."
            )
    shared = types_sharing_a_body(handlers)
    if shared and not webhooks:
        problems.append(
            f"{' and '.join(sorted(shared))} can receive the same object: calls on the shared"
            " URL (POST /) need Receiver(webhooks={webhook_id: type}) to tell them apart, or"
            " each webhook its own path (POST /<WebhookType>)."
        )
    return problems


def resolution_view(obj: ObjectModel) -> dict[str, Any]:
    """What type resolution reads of a body, taken from its model."""
    return {
        "id": obj.id,
        "type": getattr(obj, "type", None),
        "status": getattr(obj, "status", None),
    }


def types_sharing_a_body(registered: Collection[WebhookType]) -> set[str]:
    """Registered types the body alone cannot tell apart: SelectOrderLines and the Purchase
    types (its status is undocumented, platform.md §2.10)."""
    purchase = {t for t in registered if t in PURCHASE_WEBHOOK_TYPES}
    if SELECT_ORDER_LINES in registered and purchase:
        return {str(t) for t in purchase} | {SELECT_ORDER_LINES}
    return set()


def infer_webhook_types(body: Mapping[str, Any]) -> tuple[ObjectType | None, set[WebhookType]]:
    """The object kind of ``body`` (by id prefix) and the webhook types it could belong to."""
    object_id = body.get("id")
    kind = object_type_for_id(object_id) if isinstance(object_id, str) else None
    if kind is None:
        return None, set()
    # The candidates depend on the kind and the type and status strings only (what
    # candidate_webhook_types reads; other values count as absent): worked out once each.
    order_type, status = body.get("type"), body.get("status")
    return kind, set(
        _candidates(
            kind,
            order_type if isinstance(order_type, str) else None,
            status if isinstance(status, str) else None,
        )
    )


@functools.lru_cache(maxsize=256)
def _candidates(
    kind: ObjectType, order_type: str | None, status: str | None
) -> frozenset[WebhookType]:
    fields = {"type": order_type, "status": status}
    return frozenset(t for tier in candidate_webhook_types(kind, fields) for t in tier)


def resolve_from_body(
    body: Mapping[str, Any], registered: Mapping[WebhookType, Handler]
) -> tuple[WebhookType | None, WebhookType | None]:
    """The registered type this body belongs to, or None when no handler fits; and, for the
    error message in that case, the type the body looks like.

    Raises :class:`AmbiguousHandlersError` when several registered types fit."""
    kind, possible = infer_webhook_types(body)
    if kind is None and len(registered) == 1:
        return next(iter(registered)), None  # a one-handler app takes what the URL sends it
    candidates = possible & registered.keys()
    if len(candidates) > 1:
        where = f"{with_article(str(kind), capital=True)} on the shared URL"
        raise AmbiguousHandlersError(candidates, where)
    if candidates:
        return next(iter(candidates)), None
    specific = sorted(possible - {SELECT_ORDER_LINES}) or sorted(possible)
    return None, specific[0] if specific else None
