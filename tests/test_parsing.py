"""The body in: parsed once, lazily, whatever handlers are registered; large bodies off the loop."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pydantic_core
import pytest
from hypothesis import given
from hypothesis import strategies as st

from receiver import Receiver, calls, parsing
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


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("1e400", id="beyond-range"),
        pytest.param("-1E+309", id="beyond-range-negative"),
        pytest.param("1.00000000000000000001", id="too-precise"),
        pytest.param("0.1000000000000000055511151231257827", id="binary-expansion"),
        pytest.param("1." + "0" * 100_000 + "1", id="hundred-thousand-digits"),
    ],
)
async def test_a_number_that_would_not_come_back_as_it_came_is_refused(
    number: str, purchase_order: dict[str, Any]
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, max_body_size=1024 * 1024)
    app.add_handler("ValidatePurchaseOrderDraft", accept)
    body = json.dumps(purchase_order)[:-1] + f', "amount": {number}}}'
    response = await post(app, None, content=body.encode())
    assert response.status_code == 400
    assert response.json()["id"] == "number_out_of_range"
    assert len(response.json()["message"]) < 300


@pytest.mark.parametrize(
    "number",
    [
        "0.1",
        "1E5",
        "-0.0",
        "1.5e-10",
        "12345678901234567890",
        "9007199254740993",
        "1e308",
        "3.141592653589793",
    ],
)
async def test_numbers_a_double_holds_go_back_with_their_value(
    number: str, purchase_order: dict[str, Any]
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    app.add_handler("ValidatePurchaseOrderDraft", accept)
    digits_in_a_string = '"externalId": "12345678901234567890123"'
    body = json.dumps(purchase_order)[:-1] + f', "amount": {number}, {digits_in_a_string}}}'
    response = await post(app, None, content=body.encode())
    assert response.status_code == 200
    assert response.json()["amount"] == json.loads(number)
    assert response.json()["externalId"] == "12345678901234567890123"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_double_is_accepted(value: float) -> None:
    parsing.check_numbers(json.dumps({"id": "ORD-1", "x": value, "y": [value]}).encode())
