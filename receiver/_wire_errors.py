"""Errors on an object still in its wire form (a dict): the one rule for finding and clearing them.

Used on a raw handler's dict and a dict answer (``receiver.answers``), on the parameters of a
model not yet parsed (``receiver.models``), by the test client and by the simulator.

* An error is a non-empty object (``{id, message}``) or a non-empty string (the OpenAPI
  Request's ``error``); null, ``{}`` and ``""`` are none.
* A parameter's error is its ``error``, or the OpenAPI Request parameter's ``errorCode`` and
  ``errorMessage``.
* Clearing sets the keys that are there to null and adds none: the object's ``error``, the
  ``error`` of each parameter in the groups the platform's earlier verdict lives in
  (``ordering``; a Request's ``order``, the docs' spelling), and ``errorCode``/``errorMessage``
  of an OpenAPI Request's parameter list. That is what ``Model.clear_errors()`` does to the
  models, so a raw handler and a model handler start from the same object.

    >>> order = {"id": "ORD-1", "error": {"message": "old"}, "parameters": {"ordering": [
    ...     {"externalId": "a", "error": {"message": "old"}}, {"externalId": "b"}]}}
    >>> has_errors(order)
    True
    >>> clear_errors(order)
    >>> order["error"], order["parameters"]["ordering"], has_errors(order)
    (None, [{'externalId': 'a', 'error': None}, {'externalId': 'b'}], False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

# The parameter groups whose errors clear_errors() clears, in a bag (dict) of groups.
CLEARED_GROUPS: Final = ("ordering", "order")

_OPENAPI_ERROR_KEYS: Final = ("errorCode", "errorMessage")


def error_of(value: Any) -> dict[str, Any] | None:
    """An ``error`` value as a dict, or None when there is none (a bare string is the OpenAPI
    Request's shape)."""
    if isinstance(value, Mapping) and value:
        return dict(value)
    if isinstance(value, str) and value:
        return {"message": value}
    return None


def parameter_groups(data: Mapping[str, Any]) -> list[list[Any]]:
    """The object's parameter lists: ``ordering`` first, then the other phases; the OpenAPI
    Request's flat list as one group."""
    bag = data.get("parameters")
    if isinstance(bag, list):
        return [bag]
    if isinstance(bag, Mapping):
        names = sorted(bag, key=lambda name: name != "ordering")
        return [bag[name] for name in names if isinstance(bag[name], list)]
    return []


def parameter_error(parameter: Mapping[str, Any]) -> dict[str, Any] | None:
    """A parameter's error: ``error``, or the OpenAPI Request's ``errorCode``/``errorMessage``."""
    error = error_of(parameter.get("error"))
    if error is None and (parameter.get("errorCode") or parameter.get("errorMessage")):
        error = {"id": parameter.get("errorCode"), "message": parameter.get("errorMessage")}
    return error


def parameter_errors(data: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(externalId or id or #position, error)`` for every parameter that carries an error."""
    found = []
    for group in parameter_groups(data):
        for position, parameter in enumerate(group):
            if isinstance(parameter, Mapping):
                error = parameter_error(parameter)
                if error is not None:
                    name = parameter.get("externalId") or parameter.get("id") or f"#{position}"
                    found.append((str(name), error))
    return found


def has_errors(data: Mapping[str, Any]) -> bool:
    """True when the object refuses something: an error on it or on one of its parameters."""
    return error_of(data.get("error")) is not None or bool(parameter_errors(data))


def clear_errors(data: dict[str, Any]) -> None:
    """Null the object's ``error`` and its parameters' errors where present (see the module)."""
    if "error" in data:
        data["error"] = None
    parameters = data.get("parameters")
    if isinstance(parameters, list):  # an OpenAPI Request
        for parameter in parameters:
            if isinstance(parameter, dict):
                for key in _OPENAPI_ERROR_KEYS:
                    if key in parameter:
                        parameter[key] = None
    else:
        clear_parameter_errors(parameters, CLEARED_GROUPS)


def clear_parameter_errors(bag: object, groups: tuple[str, ...]) -> None:
    """Null ``error`` in the parameter dicts of lists ``groups`` of a bag (a dict of lists),
    where the key is present; anything else is left alone."""
    if not isinstance(bag, dict):
        return
    for name in groups:
        group = bag.get(name)
        if isinstance(group, list):
            for parameter in group:
                if isinstance(parameter, dict) and "error" in parameter:
                    parameter["error"] = None


def parameters_may_have_errors(bag: object, groups: tuple[str, ...]) -> bool:
    """False when no parameter dict in lists ``groups`` of a bag has a non-null ``error``.

    The models' shortcut for parameters not parsed yet: a model Parameter counts any non-null
    ``error`` (even ``{}``), so this answers "may", and True sends the model to parse them."""
    if not isinstance(bag, dict):
        return False
    for name in groups:
        group = bag.get(name)
        if isinstance(group, list):
            for parameter in group:
                if isinstance(parameter, dict) and parameter.get("error") is not None:
                    return True
    return False
