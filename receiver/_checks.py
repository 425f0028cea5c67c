"""Checks of numeric settings: one rule for "a positive number of seconds" and its kin.

Every constructor that takes a timeout, a deadline or a size checks it here, so each refuses the
same values with the same words. A number is an int, a float, a Decimal or any other real
number, finite; bools (``timeout=True`` is a mistake, not 1 second), NaN (it compares false with
everything, so it would pass or fail checks at random later) and infinities are refused.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal

from receiver.errors import InvalidNumberError

__all__ = ["non_negative_number", "positive_number"]


def positive_number(name: str, value: object, unit: str = "seconds") -> float:
    """``value`` as a float when it is a finite number above 0; InvalidNumberError (a
    ConfigurationError and a ValueError) otherwise.

    >>> positive_number("timeout", 2)
    2.0
    >>> positive_number("timeout", 0)
    Traceback (most recent call last):
    ...
    receiver.errors.InvalidNumberError: timeout must be a positive number of seconds, not 0.
    """
    number = _finite(value)
    if number is None or not number > 0:
        raise InvalidNumberError(f"{name} must be a positive number of {unit}, not {value!r}.")
    return number


def non_negative_number(name: str, value: object, unit: str = "seconds") -> float:
    """``value`` as a float when it is a finite number, 0 or more; InvalidNumberError otherwise.

    >>> non_negative_number("retry_delay", 0)
    0.0
    """
    number = _finite(value)
    if number is None or not number >= 0:
        raise InvalidNumberError(f"{name} must be 0 or more {unit}, not {value!r}.")
    return number


def _finite(value: object) -> float | None:
    """``value`` as a float when it is a finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):  # an int past float's range, a signaling NaN
        return None
    return number if math.isfinite(number) else None
