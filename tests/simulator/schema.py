"""A small checker of values against the platform's OpenAPI schemas
(``/work/shared/platform-openapi/notifications-webhooks.json``): types, enums, ``required``
properties, and no property the schema does not have (``additionalProperties: false``).

Two readings of the schema, both from docs/platform.md:

* a ``*JsonOptional`` schema (``{hasValue, value}``) describes how .NET holds an optional field;
  on the wire it is the value itself (platform.md §4.2), so a plain value of the ``value``
  schema is accepted too, and ``hasValue`` (read-only) is never required;
* the ``Webhook`` schema types ``criteria`` as ``[{key, value}]`` while the platform sends a
  flat object (platform.md §6): :func:`check_webhook` checks the flat form as that list.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

# The platform's OpenAPI, in the shared folder beside the checkout (as CI and developers have it).
OPENAPI = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "platform-openapi"
    / "notifications-webhooks.json"
)
# Fields the platform sends beyond its OpenAPI ``Webhook`` (platform.md §4.3).
WEBHOOK_EXTRA = frozenset({"name", "href", "revision"})


@cache
def _document() -> dict[str, Any]:
    return dict(json.loads(OPENAPI.read_text()))


def schemas() -> dict[str, Any]:
    """The document's component schemas (the test is skipped without the document)."""
    if not OPENAPI.exists():
        pytest.skip(f"{OPENAPI} is not available")
    found: dict[str, Any] = _document()["components"]["schemas"]
    return found


def operation(method: str, path: str) -> dict[str, Any]:
    """The OpenAPI operation of ``method`` on a templated ``path``."""
    schemas()
    found: dict[str, Any] = _document()["paths"][path][method.lower()]
    return found


def check_schema(value: Any, name: str, *, extra: frozenset[str] = frozenset()) -> None:
    """Assert ``value`` fits the OpenAPI schema ``name``: types, enums, required properties,
    no unknown properties (but ``extra``, the fields the platform sends beyond its OpenAPI)."""
    known = schemas()
    _check(value, {"$ref": f"#/components/schemas/{name}"}, known, name, extra)


def check_webhook(wire: dict[str, Any]) -> None:
    """Assert a Webhook object as the platform sends it fits the ``Webhook`` schema."""
    listed = dict(wire)
    if isinstance(listed.get("criteria"), dict):
        listed["criteria"] = [{"key": k, "value": v} for k, v in listed["criteria"].items()]
    check_schema(listed, "Webhook", extra=WEBHOOK_EXTRA)


def _resolve(schema: dict[str, Any], known: dict[str, Any]) -> tuple[dict[str, Any], str]:
    name = ""
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = known[name]
    return schema, name


def _check(
    value: Any, schema: dict[str, Any], known: dict[str, Any], where: str, extra: frozenset[str]
) -> None:
    schema, name = _resolve(schema, known)
    if name.endswith("JsonOptional") and not (isinstance(value, dict) and "value" in value):
        _check(value, schema["properties"]["value"], known, where, frozenset())
        return
    if value is None:
        assert schema.get("nullable") or schema.get("type") is None, f"{where} is null"
        return
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in the enum"
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        assert isinstance(value, dict), f"{where} is not an object"
        properties = dict(schema.get("properties", {}))
        required = set(schema.get("required", ()))
        for part in schema.get("allOf", []):
            resolved, _ = _resolve(part, known)
            properties.update(resolved.get("properties", {}))
            required.update(resolved.get("required", ()))
        for key in sorted(required):
            assert key in value, f"{where}: the required property {key!r} is missing"
        for key, item in value.items():
            if key in properties:
                _check(item, properties[key], known, f"{where}.{key}", frozenset())
            else:
                assert key in extra or schema.get("additionalProperties", True) is not False, (
                    f"{where}: unexpected property {key!r}"
                )
    elif kind == "array":
        assert isinstance(value, list), f"{where} is not an array"
        for index, item in enumerate(value):
            _check(item, schema["items"], known, f"{where}[{index}]", frozenset())
    elif kind == "string":
        assert isinstance(value, str), f"{where} is not a string"
    elif kind == "integer":
        assert isinstance(value, int), f"{where} is not an integer"
        assert not isinstance(value, bool), f"{where} is a boolean, not an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where} is not a boolean"
