"""receiver.dispatch: what a handler must look like, and the message when the body cannot tell
which handler it is for."""

from __future__ import annotations

from typing import Any

import pytest

from receiver.dispatch import make_handler
from receiver.errors import AmbiguousHandlersError, ConfigurationError
from receiver.resolution import resolve_from_body
from receiver.types import WebhookType

PURCHASE_DRAFT = WebhookType("ValidatePurchaseOrderDraft")
SELECT_LINES = WebhookType("SelectOrderLines")


def register(fn: Any) -> None:
    make_handler(PURCHASE_DRAFT, fn, deadline=None, failure_policy=None, raw=None)


def keyword_only(*, order: Any) -> Any:
    return order


def keyword_only_with_context(*, order: Any, ctx: Any) -> Any:
    return order


def keywords(**kwargs: Any) -> Any:
    return None


def nothing() -> None:
    return None


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        pytest.param(
            keyword_only,
            "The handler 'keyword_only' for ValidatePurchaseOrderDraft takes 1 keyword-only"
            " argument (order); it must take the object by position (and the call context"
            " second, if it wants it): drop the `*`, e.g. `def check(order): ...`.",
            id="keyword-only",
        ),
        pytest.param(
            keyword_only_with_context,
            "The handler 'keyword_only_with_context' for ValidatePurchaseOrderDraft takes 2"
            " keyword-only arguments (order, ctx); it must take the object by position (and the"
            " call context second, if it wants it): drop the `*`, e.g."
            " `def check(order, ctx): ...`.",
            id="keyword-only-two",
        ),
        pytest.param(
            keywords,
            "The handler 'keywords' for ValidatePurchaseOrderDraft takes keyword arguments only"
            " (**kwargs); it must take the object by position",
            id="var-keyword",
        ),
        pytest.param(
            nothing,
            "The handler 'nothing' for ValidatePurchaseOrderDraft takes no arguments; it must"
            " take the object by position",
            id="nothing",
        ),
    ],
)
def test_a_handler_the_object_cannot_be_passed_to_is_refused(fn: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        register(fn)
    assert str(caught.value).startswith(message)


def test_the_ambiguity_message_names_the_object_with_its_article() -> None:
    registered: dict[WebhookType, Any] = {PURCHASE_DRAFT: object(), SELECT_LINES: object()}
    body = {"id": "ORD-1111-1111-1111", "type": "Purchase", "status": "Draft"}

    with pytest.raises(AmbiguousHandlersError) as caught:
        resolve_from_body(body, registered)

    assert str(caught.value).startswith(
        "An Order on the shared URL: more than one handler could answer (SelectOrderLines,"
        " ValidatePurchaseOrderDraft)."
    )
