"""Shared test helpers: fixture loading and a JSON equality that also compares types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture(name: str) -> Any:
    return json.loads(fixture_bytes(name))


def type_diff(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Where two JSON values differ, in value *or* type (``5`` vs ``5.0`` vs ``"5"``), or None.

    ``==`` alone is not enough: ``1 == 1.0 == True`` in Python.
    """
    if type(expected) is not type(actual):
        return f"{path}: {expected!r} ({type(expected).__name__}) became {actual!r}"
    if isinstance(expected, dict):
        if expected.keys() != actual.keys():
            return f"{path}: keys {sorted(expected)} became {sorted(actual)}"
        for key in expected:
            found = type_diff(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items became {len(actual)}"
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found = type_diff(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if expected != actual:
        return f"{path}: {expected!r} became {actual!r}"
    return None


def assert_same_json(expected: Any, actual: Any) -> None:
    difference = type_diff(expected, actual)
    assert difference is None, difference
