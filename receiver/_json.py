"""Naming a JSON value's kind in messages, without showing the value (it may hold a secret)."""

from __future__ import annotations


def json_kind(value: object) -> str:
    """``array``, ``string``, ``boolean``, ``number``, ``null`` or ``object``.

    >>> json_kind([1]), json_kind(True), json_kind(None)
    ('array', 'boolean', 'null')
    """
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else "object"
