"""Overrides: change a sample, or any JSON object, by keyword or dotted path.

This is the engine behind the keyword arguments of the :mod:`receiver.testing.samples` factories
and :func:`with_overrides`. Each key is a wire name or the model's snake_case field name,
optionally followed by a dotted path into the object. A path segment that is a number indexes a
list (negative counts from the end; the list's length appends); any other segment selects the
list item with that ``externalId`` or ``id``, the form the paths of
:class:`receiver.testing.Changes` have. :data:`REMOVE` deletes the key or the list item. A path
that does not fit the object raises :class:`SampleError`, which says what is there instead.
:func:`apply_parameters` is the factories' ``parameters=`` shortcut.

    >>> from receiver.testing.overrides import REMOVE, with_overrides
    >>> order = {"id": "ORD-1", "notes": "Rush", "lines": [{"id": "ALI-1", "quantity": 1}]}
    >>> with_overrides(order, {"notes": REMOVE, "lines.ALI-1.quantity": 3, "external_ids": {}})
    {'id': 'ORD-1', 'lines': [{'id': 'ALI-1', 'quantity': 3}], 'externalIds': {}}

The public names are also importable from :mod:`receiver.testing.samples`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping
from typing import Any, Final

from receiver._text import type_phrase
from receiver.errors import ReceiverError
from receiver.models import MODEL_BY_OBJECT_TYPE, ValidateAnswer
from receiver.models._base import WireModel
from receiver.types import object_type_for_id

__all__ = ["REMOVE", "SampleError", "set_path", "with_overrides"]


class _Remove:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REMOVE"

    def __reduce__(self) -> str:
        return "REMOVE"  # copies and pickles are the singleton


REMOVE: Final = _Remove()
"""An override value that deletes the key (or list item): ``samples.order(notes=REMOVE)``."""


def _is_remove(value: object) -> bool:
    # By type name, not identity: a module reloaded by a test runner (pytester restores
    # sys.modules) makes a second REMOVE, and either must work.
    return type(value).__qualname__ == "_Remove" and type(value).__module__ == __name__


class SampleError(ReceiverError, ValueError):
    """An override that cannot be applied (a path that does not exist, an unknown parameter)."""


def _wire_name(model: type[WireModel], key: str) -> str:
    """The wire name of a top-level keyword: a model's snake_case field name maps to its alias;
    anything else (a wire name, an unknown field) is used as given."""
    field = model.model_fields.get(key)
    return field.alias if field is not None and field.alias is not None else key


def _describe_keys(node: object) -> str:
    if isinstance(node, list):
        labels = [_item_label(item) for item in node]
        named = [label for label in labels if label is not None]
        extra = f"; items by externalId/id: {', '.join(named)}" if named else ""
        return f"a list of {len(node)} item(s){extra}"
    return type_phrase(node)


def _item_label(item: object) -> str | None:
    if isinstance(item, Mapping):
        for key in ("externalId", "id"):
            value = item.get(key)
            if isinstance(value, str):
                return value
    return None


def _list_index(node: list[Any], segment: str, path: str, *, allow_end: bool) -> int:
    try:
        index = int(segment)
    except ValueError:
        for position, item in enumerate(node):
            if _item_label(item) == segment or (
                isinstance(item, Mapping) and item.get("id") == segment
            ):
                return position
        raise SampleError(
            f"No item {segment!r} at {path!r}: it is {_describe_keys(node)}."
        ) from None
    size = len(node)
    if index < 0:
        index += size
    if 0 <= index < size or (allow_end and index == size):
        return index
    raise SampleError(
        f"Index {segment} is out of range at {path!r}, a list of {size} item(s)"
        f"{' (use index ' + str(size) + ' to append)' if allow_end else ''}."
    )


def _child(node: Any, segment: str, next_segment: str, where: str) -> Any:
    """Step from ``node`` (at path ``where``) into ``segment``, creating a missing object."""
    here = f"{where}.{segment}" if where else segment
    if isinstance(node, MutableMapping):
        value = node.get(segment)
        if value is None:
            if next_segment.lstrip("-").isdigit():
                raise SampleError(f"{here!r} has no list to index; set it first.")
            value = node[segment] = {}
        return value
    if isinstance(node, list):
        index = _list_index(node, segment, here, allow_end=True)
        if index == len(node):
            node.append({})
        return node[index]
    raise SampleError(f"Cannot step into {where!r}: it is {_describe_keys(node)}.")


def set_path(data: MutableMapping[str, Any], path: str, value: Any) -> None:
    """Set (or, with :data:`REMOVE`, delete) the value at a dotted ``path`` in ``data``.

    >>> data = {"lines": [{"id": "ALI-1", "quantity": 1}], "parameters": {"ordering": [
    ...     {"externalId": "companyName", "value": ""}]}}
    >>> set_path(data, "lines.ALI-1.quantity", 3)
    >>> set_path(data, "parameters.ordering.companyName.value", "Contoso")
    >>> data["lines"][0]["quantity"], data["parameters"]["ordering"][0]["value"]
    (3, 'Contoso')
    """
    segments = path.split(".")
    node: Any = data
    for position, segment in enumerate(segments[:-1]):
        node = _child(node, segment, segments[position + 1], ".".join(segments[:position]))
    last = segments[-1]
    value = copy.deepcopy(value)
    if isinstance(node, MutableMapping):
        if _is_remove(value):
            if last not in node:
                raise SampleError(f"Cannot remove {path!r}: there is no such key.")
            del node[last]
        else:
            node[last] = value
        return
    if isinstance(node, list):
        index = _list_index(node, last, path, allow_end=not _is_remove(value))
        if _is_remove(value):
            del node[index]
        elif index == len(node):
            node.append(value)
        else:
            node[index] = value
        return
    parent = ".".join(segments[:-1])
    raise SampleError(f"Cannot set {path!r}: {parent!r} is {_describe_keys(node)}.")


def apply_overrides(
    data: dict[str, Any], overrides: Mapping[str, Any], model: type[WireModel]
) -> dict[str, Any]:
    """Apply ``overrides`` to ``data`` in place, in the order given; a key's first segment may be
    ``model``'s snake_case field name. Returns ``data``."""
    for key, value in overrides.items():
        head, dot, rest = key.partition(".")
        set_path(data, _wire_name(model, head) + dot + rest, value)
    return data


def _set_parameter_values(data: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``parameters={"companyName": "Contoso"}``: set values by externalId, ordering first."""
    bag = data.get("parameters")
    if isinstance(bag, Mapping):
        groups = [bag[name] for name in ("ordering", "order", "fulfillment") if name in bag]
    else:
        groups = [bag]
    parameters = [p for group in groups if isinstance(group, list) for p in group]
    for external_id, value in values.items():
        for parameter in parameters:
            if isinstance(parameter, MutableMapping) and parameter.get("externalId") == external_id:
                if _is_remove(value):
                    parameter.pop("value", None)
                else:
                    parameter["value"] = copy.deepcopy(value)
                break
        else:
            known = [p.get("externalId") for p in parameters if isinstance(p, Mapping)]
            raise SampleError(
                f"No parameter with externalId {external_id!r} in this sample; it has"
                f" {', '.join(repr(k) for k in known) or 'none'}. To add one, pass the whole bag:"
                " parameters={'ordering': [...], 'fulfillment': [...]}."
            )


def apply_parameters(data: dict[str, Any], parameters: Mapping[str, Any] | None) -> None:
    """The factories' ``parameters=``: a full ``{"ordering": [...], "fulfillment": [...]}``
    replaces the bag; anything else sets values by ``externalId``."""
    if parameters is None:
        return
    if parameters and all(
        name in ("ordering", "order", "fulfillment") and isinstance(value, list)
        for name, value in parameters.items()
    ):
        data["parameters"] = copy.deepcopy(dict(parameters))
    else:
        _set_parameter_values(data, parameters)


def with_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any], /) -> dict[str, Any]:
    """A copy of ``data`` with ``overrides`` applied by the factories' rules (snake_case or wire
    names, dotted paths, :data:`REMOVE`). The same as passing them as keywords, in a form type
    checkers accept (mypy refuses ``**{"lines.0.quantity": 3}`` against typed parameters).

    >>> from receiver.testing.samples import purchase_order
    >>> order = with_overrides(purchase_order(), {"lines.0.quantity": 3, "external_ids": {}})
    >>> order["lines"][0]["quantity"], order["externalIds"]
    (3, {})
    """
    kind = object_type_for_id(str(data.get("id", "")))
    model = MODEL_BY_OBJECT_TYPE[kind] if kind is not None else ValidateAnswer
    return apply_overrides(copy.deepcopy(dict(data)), overrides, model)
