"""The body in: a call's JSON body made into what its handler takes, parsed once.

When the handler (or the only object kind the app handles) is known before the body is read, the
body is parsed straight into that model; otherwise into a dict, which type resolution reads and
:func:`prepare` turns into the handler's model. Either way a refused body gets the precise 400
of :func:`parse_object`.

    >>> parse_object(b'{"id": "ORD-1"}')
    {'id': 'ORD-1'}
    >>> parse_object(b"[]")
    Traceback (most recent call last):
    ...
    receiver.errors.RequestError: The body must be a JSON object, not a JSON array.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, Final

import pydantic_core

from receiver._json import json_kind
from receiver.answers import clear_dict_errors
from receiver.dispatch import Handler
from receiver.errors import InvalidObjectError, RequestError
from receiver.models import MODEL_BY_OBJECT_TYPE, ObjectModel
from receiver.models._base import collector_paused
from receiver.wire import ErrorId

# A number a float may not hold exactly: 16 or more digits (and dots) in a row, or an exponent
# of three digits after a digit. Only bodies with such a run (rare: long numeric strings count
# too) get the exact check. The scan is a C-speed translate and find, a few microseconds for an
# order (a regular expression over every position cost 100 us).
# Digits and dots become "0", e and E "e", signs "+", everything else " ".
_NUMBER_SHAPE: Final = bytes(
    ord("0")
    if chr(byte) in "0123456789."
    else ord("e")
    if chr(byte) in "eE"
    else ord("+")
    if chr(byte) in "+-"
    else ord(" ")
    for byte in range(256)
)
_LONG_RUN: Final = b"0" * 16


# One search for both exponent forms ("0e000", "0e+000"): half the time of two finds.
_LONG_EXPONENT: Final = re.compile(rb"0e\+?000")


def _may_lose_precision(body: bytes) -> bool:
    shape = body.translate(_NUMBER_SHAPE)
    return _LONG_RUN in shape or _LONG_EXPONENT.search(shape) is not None


_SHOWN_DIGITS: Final = 40


class _Inexact(Exception):
    def __init__(self, text: str) -> None:
        self.text = text


def _exact_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or Decimal(repr(value)) != Decimal(text):
        raise _Inexact(text)
    return value


def check_numbers(body: bytes) -> None:
    """Refuse (400 ``number_out_of_range``) a body with a number that would not go back as it
    came: one beyond a float's range (``1e400`` would become ``null``) or with more precision
    than a float holds (``1.00000000000000000001`` would become ``1.0``). Integers are kept
    exactly; so is every decimal a float holds (``0.1``, ``1.5e-10``).

    >>> check_numbers(b'{"id": "ORD-1", "price": 0.1}')
    >>> check_numbers(b'{"id": "ORD-1", "price": 1e400}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    receiver.errors.RequestError: The number 1e400 cannot be kept exactly ...
    """
    if not _may_lose_precision(body):
        return
    try:
        json.loads(body, parse_float=_exact_float)
    except _Inexact as exc:
        shown = exc.text if len(exc.text) <= _SHOWN_DIGITS else exc.text[:_SHOWN_DIGITS] + "..."
        raise RequestError(
            400,
            ErrorId.NUMBER_OUT_OF_RANGE,
            f"The number {shown} cannot be kept exactly (it is beyond the range or the precision"
            " of a double); send it as a string or with at most 15 significant digits.",
        ) from None
    except (ValueError, RecursionError):  # not JSON, or too deep: the parse says which
        return


def parse_object(body: bytes) -> dict[str, Any]:
    """The call's body as a dict with a string ``id``; 400 otherwise. The parser bounds nesting
    depth (pydantic-core's JSON parser refuses documents nested deeper than 200 levels)."""
    if not body:
        raise RequestError(
            400, ErrorId.EMPTY_BODY, "The request body is empty; send the object as JSON."
        )
    try:
        with collector_paused(len(body)):
            data = pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        raise RequestError(
            400, ErrorId.INVALID_JSON, f"The body is not valid JSON: {exc}."
        ) from None
    if not isinstance(data, dict):
        raise RequestError(
            400,
            ErrorId.NOT_AN_OBJECT,
            f"The body must be a JSON object, not a JSON {json_kind(data)}.",
        )
    object_id = data.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise RequestError(400, ErrorId.MISSING_ID, "The object in the body has no string 'id'.")
    return data


def model_of(handler: Handler) -> type[ObjectModel]:
    """The model of the object ``handler``'s webhook type sends."""
    return MODEL_BY_OBJECT_TYPE[handler.object_type]


def model_before_parsing(
    handler: Handler | None, shared_model: type[ObjectModel] | None
) -> type[ObjectModel] | None:
    """The model to parse the body into, when it is known before reading the body: the
    handler's (unless it takes the raw dict), else the one model every handler takes."""
    if handler is not None:
        return None if handler.raw else model_of(handler)
    return shared_model


def parse_model(model: type[ObjectModel], body: bytes) -> ObjectModel:
    """The body parsed straight into ``model``; the precise 400 when it is not such an object."""
    try:
        obj = model.from_json(body)
    except InvalidObjectError as exc:
        parse_object(body)  # raises the precise 400 (invalid JSON, no id, ...)
        # Defensive: a body parse_object accepts always fits a lenient model.
        raise RequestError(400, ErrorId.INVALID_OBJECT, str(exc)) from None
    if not obj.id:  # the lenient model takes "", the platform's objects never have it
        parse_object(body)  # raises 400 missing_id, as for raw handlers
    return obj


def prepare(handler: Handler, data: dict[str, Any], *, clear_errors: bool) -> Any:
    """The handler's argument from the parsed body: the dict itself, or its model; previous
    errors cleared first when ``clear_errors``."""
    if handler.raw:
        if clear_errors:
            clear_dict_errors(data)
        return data
    try:
        obj = model_of(handler).from_parsed(data)
    except InvalidObjectError as exc:
        raise RequestError(400, ErrorId.INVALID_OBJECT, str(exc)) from None
    if clear_errors:
        obj.clear_errors()
    return obj
