"""Applying a vendor's 200 answer to the stored object, as the platform's ``/validate`` does
(platform.md §3.2, §3.2.1: the answer is a delta on the object).

What is applied, and nothing else (other fields are read-only to a vendor and ignored):

* ``error`` of the object, when the answer has the key (``null`` clears it);
* parameters (``parameters.ordering``/``fulfillment``, or a Request's list), each matched by
  ``id``, else by ``externalId``: ``value``, ``error``, ``errorCode``/``errorMessage`` as given
  and ``constraints`` merged key by key (a vendor that sends only ``{"hidden": false}`` does not
  drop ``readonly``). An answer parameter that matches none is ignored;
* Order lines: a line with an ``id`` is merged into the stored line of that id, field by field
  and deep (``{"id": ..., "price": {"unitPP": 93.17}}`` changes only ``unitPP``); a line without
  an ``id`` is a new line, appended and given an id (unless the order already has that very line,
  without a usable id: an echo); a line id the order does not have is
  ignored (the platform rejects an unknown id, platform.md §3.2.2; the simulator records it as an
  ignored change rather than failing the whole answer). Lines the answer leaves out stay.

Each change is reported as ``{"path", "before", "after"}`` (or ``{"path", "note"}`` for what was
ignored), for the dashboard and the demo.

    >>> order = {"id": "ORD-1111-2222-3333", "lines": [{"id": "ALI-1111-2222-3333-0001",
    ...          "price": {"unitPP": 100.0, "currency": "USD"}}]}
    >>> answer = {"id": "ORD-1111-2222-3333", "error": None,
    ...           "lines": [{"id": "ALI-1111-2222-3333-0001", "price": {"unitPP": 93.17}}]}
    >>> result, changes = apply_answer("Order", order, answer)
    >>> result["lines"][0]["price"]
    {'unitPP': 93.17, 'currency': 'USD'}
    >>> [describe(change) for change in changes]
    ['lines[ALI-1111-2222-3333-0001].price.unitPP: 100.0 -> 93.17']
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Final

from receiver.types import ORDER

Change = dict[str, Any]

PARAMETER_FIELDS: Final = ("value", "error", "errorCode", "errorMessage")
PHASES: Final = ("ordering", "fulfillment")
_ID_DIGITS: Final = re.compile(r"^[A-Z]{3}-(.+)$")


def apply_answer(
    kind: str, stored: dict[str, Any], answer: dict[str, Any]
) -> tuple[dict[str, Any], list[Change]]:
    """The object with ``answer`` applied (``stored`` is not changed) and the list of changes."""
    result = copy.deepcopy(stored)
    changes: list[Change] = []
    if "error" in answer:
        _set(result, "error", answer["error"], "error", changes)
    if "parameters" in answer:
        _apply_parameters(result, answer["parameters"], changes)
    if kind == ORDER and isinstance(answer.get("lines"), list):
        _apply_lines(result, answer["lines"], changes)
    return result, changes


def _set(target: dict[str, Any], key: str, value: Any, path: str, changes: list[Change]) -> None:
    before = target.get(key)
    if key in target and before == value:
        return
    if key not in target and value is None:
        return  # "error": null on an object that had none: nothing changes
    target[key] = copy.deepcopy(value)
    changes.append({"path": path, "before": before, "after": value})


def _merge(
    target: dict[str, Any], source: dict[str, Any], path: str, changes: list[Change]
) -> None:
    for key, value in source.items():
        if key == "id":
            continue
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge(current, value, f"{path}.{key}", changes)
        else:
            _set(target, key, value, f"{path}.{key}", changes)


# -- parameters ---------------------------------------------------------------------------------


def _apply_parameters(result: dict[str, Any], given: Any, changes: list[Change]) -> None:
    stored = result.get("parameters")
    if isinstance(given, dict) and isinstance(stored, dict):
        for phase in PHASES:
            if isinstance(given.get(phase), list) and isinstance(stored.get(phase), list):
                _apply_parameter_list(stored[phase], given[phase], f"parameters.{phase}", changes)
    elif isinstance(given, list) and isinstance(stored, list):  # a Request (OpenAPI shape)
        _apply_parameter_list(stored, given, "parameters", changes)


def _find_parameter(stored: list[Any], given: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("id", "externalId"):
        wanted = given.get(key)
        if isinstance(wanted, str) and wanted:
            for parameter in stored:
                if isinstance(parameter, dict) and parameter.get(key) == wanted:
                    return parameter
    return None


def _apply_parameter_list(
    stored: list[Any], given: list[Any], prefix: str, changes: list[Change]
) -> None:
    for parameter in given:
        if not isinstance(parameter, dict):
            continue
        target = _find_parameter(stored, parameter)
        if target is None:
            label = parameter.get("externalId") or parameter.get("id") or "?"
            changes.append({"path": f"{prefix}[{label}]", "note": "ignored: no such parameter"})
            continue
        path = f"{prefix}[{target.get('externalId') or target.get('id')}]"
        for name in PARAMETER_FIELDS:
            if name in parameter:
                _set(target, name, parameter[name], f"{path}.{name}", changes)
        constraints = parameter.get("constraints")
        if isinstance(constraints, dict):
            if not isinstance(target.get("constraints"), dict):
                target["constraints"] = {}
            _merge(target["constraints"], constraints, f"{path}.constraints", changes)


# -- lines --------------------------------------------------------------------------------------


def _apply_lines(result: dict[str, Any], given: list[Any], changes: list[Change]) -> None:
    lines = result.get("lines")
    if not isinstance(lines, list):
        lines = result["lines"] = []
    for line in given:
        if not isinstance(line, dict):
            continue
        line_id = line.get("id")
        if isinstance(line_id, str) and line_id:
            target = next(
                (item for item in lines if isinstance(item, dict) and item.get("id") == line_id),
                None,
            )
            if target is None:
                changes.append({"path": f"lines[{line_id}]", "note": "ignored: no such line"})
            else:
                _merge(target, line, f"lines[{line_id}]", changes)
            continue
        if line in lines:  # a line the order already has without a usable id, echoed back
            continue
        new_line = {"id": next_line_id(result)}
        new_line.update((k, copy.deepcopy(v)) for k, v in line.items() if k != "id")
        lines.append(new_line)
        changes.append({"path": f"lines[{new_line['id']}]", "before": None, "after": new_line})


def next_line_id(order: dict[str, Any]) -> str:
    """An id for a new line of ``order``: ``ALI-<order digits>-<n>``, n one past the highest.

    >>> next_line_id({"id": "ORD-1111-2222-3333", "lines": [{"id": "ALI-1111-2222-3333-0004"}]})
    'ALI-1111-2222-3333-0005'
    """
    match = _ID_DIGITS.match(str(order.get("id", "")))
    stem = f"ALI-{match.group(1) if match else order.get('id', 'X')}"
    highest = 0
    for line in order.get("lines") or ():
        line_id = line.get("id") if isinstance(line, dict) else None
        if isinstance(line_id, str) and line_id.startswith(stem + "-"):
            suffix = line_id[len(stem) + 1 :]
            if suffix.isdigit():
                highest = max(highest, int(suffix))
    return f"{stem}-{highest + 1:04d}"


def assign_line_ids(order: dict[str, Any]) -> None:
    """Give every line without an id one, as the platform does when it persists an order
    (platform.md §3.2.2), so a vendor can answer about each line by id."""
    lines = order.get("lines")
    if not isinstance(lines, list):
        return
    for line in lines:
        if isinstance(line, dict) and not line.get("id"):
            line["id"] = next_line_id(order)


# -- reading the result -------------------------------------------------------------------------


def describe(change: Change, width: int = 120) -> str:
    """One change as a line of text.

    >>> describe({"path": "error", "before": None, "after": {"id": "E1", "message": "No."}})
    'error = E1: No.'
    >>> describe({"path": "parameters.ordering[companyName].error", "before": {"id": "E1",
    ...           "message": "No."}, "after": None})
    'parameters.ordering[companyName].error cleared'
    """
    path = change["path"]
    if "note" in change:
        return f"{path}: {change['note']}"
    before, after = change.get("before"), change.get("after")
    if path.endswith("error"):
        if after is None:
            return f"{path} cleared"
        if isinstance(after, dict):
            code = after.get("id")
            message = after.get("message", "")
            return _clip(f"{path} = {code + ': ' if code else ''}{message}", width)
    if before is None and path.startswith("lines[") and isinstance(after, dict):
        added = {key: value for key, value in after.items() if key != "id"}
        return _clip(f"{path} added: {_short(added)}", width)
    return _clip(f"{path}: {_short(before)} -> {_short(after)}", width)


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
