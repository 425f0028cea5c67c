"""The numeric settings check: what it lets through, what it refuses and with which words, and
the constructors that use it."""

from __future__ import annotations

import doctest
import math
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

import receiver._checks
from receiver._checks import non_negative_number, positive_number
from receiver.errors import ConfigurationError, InvalidNumberError
from tests.conftest import SECRET, WEBHOOK_ID

HOSTILE = [
    pytest.param(0, id="zero"),
    pytest.param(-1, id="negative"),
    pytest.param(-0.5, id="negative-float"),
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="inf"),
    pytest.param(-math.inf, id="minus-inf"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param("5", id="string"),
    pytest.param(b"5", id="bytes"),
    pytest.param(None, id="none"),
    pytest.param([5], id="list"),
    pytest.param(1j, id="complex"),
    pytest.param(Decimal("NaN"), id="decimal-nan"),
    pytest.param(Decimal("sNaN"), id="decimal-snan"),
    pytest.param(Decimal("Infinity"), id="decimal-inf"),
    pytest.param(10**400, id="int-past-float"),
]


def test_the_examples_in_the_docstrings_run() -> None:
    result = doctest.testmod(receiver._checks, report=True)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(1, 1.0, id="int"),
        pytest.param(0.25, 0.25, id="float"),
        pytest.param(1e-9, 1e-9, id="tiny"),
        pytest.param(Decimal("2.5"), 2.5, id="decimal"),
        pytest.param(Fraction(1, 4), 0.25, id="fraction"),
    ],
)
def test_a_positive_number_comes_back_as_a_float(value: object, expected: float) -> None:
    result = positive_number("timeout", value)
    assert result == expected
    assert type(result) is float


@pytest.mark.parametrize("value", HOSTILE)
def test_anything_else_is_refused_with_the_name_and_the_value(value: object) -> None:
    with pytest.raises(InvalidNumberError) as caught:
        positive_number("deadline", value)
    assert str(caught.value) == f"deadline must be a positive number of seconds, not {value!r}."


def test_the_unit_is_named() -> None:
    with pytest.raises(InvalidNumberError) as caught:
        positive_number("max_body_size", 0, "bytes")
    assert str(caught.value) == "max_body_size must be a positive number of bytes, not 0."


def test_the_error_is_a_configuration_error_and_a_value_error() -> None:
    # Constructors that raised ConfigurationError and one that raised ValueError now share it.
    with pytest.raises(ConfigurationError):
        positive_number("timeout", 0)
    with pytest.raises(ValueError, match="timeout"):
        positive_number("timeout", 0)


@pytest.mark.parametrize("value", [0, 0.0, 3, Decimal("0")])
def test_zero_or_more(value: object) -> None:
    assert non_negative_number("retry_delay", value) == float(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [p for p in HOSTILE if p.id != "zero"])
def test_zero_or_more_refuses_the_rest(value: object) -> None:
    with pytest.raises(InvalidNumberError) as caught:
        non_negative_number("retry_delay", value)
    assert str(caught.value) == f"retry_delay must be 0 or more seconds, not {value!r}."


# -- the constructors that check with it ----------------------------------------------------------


def _redis_store(**options: Any) -> object:
    pytest.importorskip("redis")
    from receiver.store import RedisStore

    return RedisStore("redis://127.0.0.1/0", **options)


def _simulator(**options: Any) -> object:
    from receiver.simulator import create_simulator

    simulator = create_simulator(**options)
    simulator.close()
    return simulator


def _platform_client(**options: Any) -> object:
    from receiver import Receiver
    from receiver.testing import PlatformClient

    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    return PlatformClient(app, secret=SECRET, webhook_id=WEBHOOK_ID, **options)


def _handler(**options: Any) -> object:
    from receiver import Receiver

    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    app.add_handler("ValidatePurchaseOrderDraft", lambda order: order, **options)
    return app


SETTINGS: list[Any] = [
    pytest.param(_redis_store, "timeout", "positive", id="redis-timeout"),
    pytest.param(_redis_store, "retry_interval", "0 or more", id="redis-retry"),
    pytest.param(_simulator, "call_timeout", "positive", id="simulator-timeout"),
    pytest.param(_simulator, "retry_delay", "0 or more", id="simulator-retry"),
    pytest.param(_platform_client, "timeout", "positive", id="client-timeout"),
    pytest.param(_handler, "deadline", "positive", id="handler-deadline"),
]


@pytest.mark.parametrize(("make", "name", "rule"), SETTINGS)
@pytest.mark.parametrize("value", [-1, math.nan, math.inf, True, "5"])
def test_every_setting_refuses_the_same_values(
    make: Callable[..., object], name: str, rule: str, value: object
) -> None:
    expected = (
        f"{name} must be a positive number of seconds, not {value!r}."
        if rule == "positive"
        else f"{name} must be 0 or more seconds, not {value!r}."
    )
    with pytest.raises(InvalidNumberError) as caught:
        make(**{name: value})
    assert str(caught.value) == expected
