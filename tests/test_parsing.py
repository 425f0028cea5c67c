"""The body in: parsed once, lazily, whatever handlers are registered; large bodies off the loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pydantic_core
import pytest

from receiver import Receiver, calls
from receiver.models import Order
from tests.conftest import SECRET, WEBHOOK_ID, post

pytestmark = pytest.mark.anyio


def accept(obj: Any) -> Any:
    return obj


def two_kinds(app: Receiver) -> None:
    app.add_handler("ValidatePurchaseOrderDraft", accept)
    app.add_handler("ValidateAccount", accept)


REGISTRATIONS: dict[str, Callable[[Receiver], None]] = {
    "one-kind": lambda app: app.add_handler("ValidatePurchaseOrderDraft", accept),
    "two-kinds": two_kinds,
    "raw": lambda app: app.add_handler("ValidatePurchaseOrderDraft", accept, raw=True),
}


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The threads that parsed a body with pydantic-core's JSON parser, one per parse."""
    seen: list[threading.Thread] = []
    original = pydantic_core.from_json

    def counting(data: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread())
        return original(data, **kwargs)

    monkeypatch.setattr(pydantic_core, "from_json", counting)
    return seen


@pytest.mark.parametrize("registration", sorted(REGISTRATIONS))
@pytest.mark.parametrize("path", ["/", "/ValidatePurchaseOrderDraft"])
async def test_the_body_is_parsed_once_whatever_is_registered(
    registration: str,
    path: str,
    purchase_order: dict[str, Any],
    parses: list[threading.Thread],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    REGISTRATIONS[registration](app)

    # The full (eager) validation is the slow path that made multi-kind apps quadratic-ish.
    def no_eager_validation(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the body went through the eager validation")

    monkeypatch.setattr(Order, "model_validate", no_eager_validation)
    response = await post(app, purchase_order, path=path)
    assert response.status_code == 200
    assert response.json()["id"] == purchase_order["id"]
    assert len(parses) == 1


@pytest.mark.parametrize("registration", ["one-kind", "two-kinds"])
async def test_a_large_body_is_parsed_off_the_event_loop(
    registration: str, purchase_order: dict[str, Any], parses: list[threading.Thread]
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    REGISTRATIONS[registration](app)
    small = await post(app, purchase_order)
    large_order = {**purchase_order, "notes": "x" * calls.PARSE_OFF_LOOP_FROM}
    large = await post(app, large_order)
    assert (small.status_code, large.status_code) == (200, 200)
    assert large.json()["notes"] == large_order["notes"]
    loop_thread = threading.current_thread()
    assert parses[0] is loop_thread
    assert parses[1] is not loop_thread
