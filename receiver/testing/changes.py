"""What a handler changed: the request the platform sent compared with the answer it got back.

    >>> from receiver.testing.changes import diff_answer
    >>> request = {"id": "ORD-1", "error": {"id": "OLD", "message": "stale"},
    ...     "parameters": {"ordering": [{"externalId": "companyName", "value": ""}]},
    ...     "lines": [{"id": "ALI-1", "quantity": 5, "price": {"unitPP": 100.0}}]}
    >>> answer = {"id": "ORD-1", "error": None,
    ...     "parameters": {"ordering": [{"externalId": "companyName", "value": "",
    ...         "error": {"id": "ACME001", "message": "Company name is required."},
    ...         "constraints": {"hidden": False, "required": True}}]},
    ...     "lines": [{"id": "ALI-1", "quantity": 5, "price": {"unitPP": 93.17}}]}
    >>> print(diff_answer(request, answer))
    parameter companyName: error set ACME001 'Company name is required.'
    parameter companyName: shown
    parameter companyName: required
    line ALI-1: price.unitPP 100.0 -> 93.17
    previous errors cleared (the receiver clears them before the handler runs):
      order: error cleared (was OLD 'stale')

How things are matched: parameters by ``externalId`` (else ``id``, else position) in each of
``parameters.ordering``/``fulfillment`` (or the OpenAPI request's parameter list); lines by
``id``. A line of the answer without an id, or with an id the request does not have, is new.
A line in the answer is a delta (the platform matches it by id and applies the keys it has,
platform.md §3.2), so keys it leaves out are not reported as removed. Everything else is compared
key by key, unknown fields included, with dotted paths (``externalIds.vendor``).

An ``error`` that was set in the request and is null or absent in the answer is reported as
``error_cleared``: the receiver clears previous errors before the handler runs
(``Receiver(clear_errors=True)``, the default), so these are routine. :attr:`Changes.made`
leaves them out; :attr:`Changes.cleared` has only them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, overload

from receiver.types import object_type_for_id

__all__ = ["Change", "ChangeKind", "Changes", "diff_answer"]


class ChangeKind(StrEnum):
    """The kinds of :class:`Change` (values compare equal to their strings)."""

    ERROR_SET = "error_set"
    ERROR_CLEARED = "error_cleared"
    SHOWN = "shown"
    HIDDEN = "hidden"
    REQUIRED = "required"
    OPTIONAL = "optional"
    READONLY = "readonly"
    EDITABLE = "editable"
    VALUE_CHANGED = "value_changed"
    PARAMETER_ADDED = "parameter_added"
    PARAMETER_REMOVED = "parameter_removed"
    PRICE_CHANGED = "price_changed"
    QUANTITY_CHANGED = "quantity_changed"
    LINE_ADDED = "line_added"
    LINE_REMOVED = "line_removed"
    FIELD_CHANGED = "field_changed"
    FIELD_ADDED = "field_added"
    FIELD_REMOVED = "field_removed"


_ERROR_KINDS: Final = frozenset({ChangeKind.ERROR_SET, ChangeKind.ERROR_CLEARED})
_FIELD_KINDS: Final = frozenset(
    {ChangeKind.FIELD_CHANGED, ChangeKind.FIELD_ADDED, ChangeKind.FIELD_REMOVED}
)
_PARAMETER_ERROR_KEYS: Final = frozenset({"error", "errorCode", "errorMessage"})
_FLAG_WORDS: Final = {"hidden", "shown", "required", "optional", "readonly", "editable"}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the request and the answer.

    ``kind`` is a :class:`ChangeKind`; ``path`` the dotted wire path in the answer
    (``parameters.ordering.companyName.error``, ``lines.ALI-1.price.unitPP``); ``before`` and
    ``after`` the values (None when absent; ``kind`` says whether a key was added or removed);
    ``subject`` what changed, for people (``order``, ``parameter companyName``, ``line ALI-1``);
    ``field`` the path below the subject (``price.unitPP``; ``""`` when the subject itself was
    replaced), None for the kinds that need none (``shown``, ``line_added``, ...).
    """

    kind: ChangeKind
    path: str
    before: Any
    after: Any
    subject: str = "order"
    field: str | None = None

    @property
    def cleared(self) -> bool:
        """True for a previous error cleared (routine: the receiver does it by default)."""
        return self.kind is ChangeKind.ERROR_CLEARED

    def __str__(self) -> str:
        kind = self.kind
        subject = self.subject
        if kind is ChangeKind.ERROR_SET:
            was = f" (was {_message(self.before)})" if self.before is not None else ""
            return f"{subject}: error set {_message(self.after)}{was}"
        if kind is ChangeKind.ERROR_CLEARED:
            return f"{subject}: error cleared (was {_message(self.before)})"
        if kind.value in _FLAG_WORDS:
            return f"{subject}: {kind.value}"
        if kind is ChangeKind.VALUE_CHANGED:
            return f"{subject}: value {_value(self.before)} -> {_value(self.after)}"
        if kind in (ChangeKind.PARAMETER_ADDED, ChangeKind.LINE_ADDED):
            return f"{subject}: added{_line_summary(self.after)}"
        if kind in (ChangeKind.PARAMETER_REMOVED, ChangeKind.LINE_REMOVED):
            return f"{subject}: removed"
        if self.field == "":  # the subject itself was replaced (a line that is not an object)
            return f"{subject}: {_value(self.before)} -> {_value(self.after)}"
        name = self.path if self.field is None else self.field
        if kind is ChangeKind.FIELD_ADDED:
            return f"{subject}: {name} added {_value(self.after)}"
        if kind is ChangeKind.FIELD_REMOVED:
            return f"{subject}: {name} removed (was {_value(self.before)})"
        # FIELD_CHANGED, PRICE_CHANGED, QUANTITY_CHANGED
        return f"{subject}: {name} {_value(self.before)} -> {_value(self.after)}"


def _value(value: Any, limit: int = 80) -> str:
    if isinstance(value, Mapping | list):
        text = json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _message(error: Any) -> str:
    if isinstance(error, Mapping):
        text = _value(error.get("message"), 200)
        code = error.get("id")
        return f"{code} {text}" if code is not None else text
    return _value(error, 200)


def _line_summary(line: Any) -> str:
    if not isinstance(line, Mapping):
        return ""
    parts = []
    if "quantity" in line:
        parts.append(f"quantity {_value(line['quantity'])}")
    price = line.get("price")
    if isinstance(price, Mapping) and "unitPP" in price:
        parts.append(f"unitPP {_value(price['unitPP'])}")
    return ", " + ", ".join(parts) if parts else ""


class Changes(Sequence[Change]):
    """The changes of one answer: a sequence of :class:`Change`, with filters.

    ``bool(changes)`` is False when nothing changed at all; ``str(changes)`` is one line per
    change (previous errors cleared last, under their own heading). Compares equal to another
    ``Changes``, a list of :class:`Change`, or a list of their ``str()``.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Change] = ()) -> None:
        self._items: tuple[Change, ...] = tuple(items)

    @overload
    def __getitem__(self, index: int) -> Change: ...
    @overload
    def __getitem__(self, index: slice) -> Changes: ...
    def __getitem__(self, index: int | slice) -> Change | Changes:
        if isinstance(index, slice):
            return Changes(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Change]:
        return iter(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Changes):
            return self._items == other._items
        if isinstance(other, list | tuple):
            if all(isinstance(item, str) for item in other):
                return [str(change) for change in self._items] == list(other)
            return list(self._items) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking equality; not a dict key

    def _where(self, keep: Any) -> Changes:
        return Changes(change for change in self._items if keep(change))

    @property
    def made(self) -> Changes:
        """Every change but the previous errors cleared: what the handler did."""
        return self._where(lambda change: not change.cleared)

    @property
    def cleared(self) -> Changes:
        """Only the previous errors that were cleared."""
        return self._where(lambda change: change.cleared)

    @property
    def errors(self) -> Changes:
        """Errors set or cleared, on the object or on a parameter."""
        return self._where(lambda change: change.kind in _ERROR_KINDS)

    @property
    def parameters(self) -> Changes:
        """Changes of parameters (errors, visibility, values, ...)."""
        return self._where(lambda change: change.path.startswith("parameters"))

    @property
    def lines(self) -> Changes:
        """Changes of lines (prices, quantities, new and removed lines, ...)."""
        return self._where(lambda change: change.path.startswith("lines"))

    @property
    def fields(self) -> Changes:
        """Other fields changed, added or removed (generic dotted paths)."""
        return self._where(lambda change: change.kind in _FIELD_KINDS)

    def of_kind(self, *kinds: str) -> Changes:
        """The changes of these kinds: ``changes.of_kind("shown", "hidden")``."""
        wanted = {ChangeKind(kind) for kind in kinds}
        return self._where(lambda change: change.kind in wanted)

    def parameter(self, external_id: str) -> Changes:
        """The changes of one parameter (by externalId, or id when it has none)."""
        return self._where(lambda change: change.subject == f"parameter {external_id}")

    def line(self, line_id: str) -> Changes:
        """The changes of one line (by id)."""
        return self._where(lambda change: change.subject == f"line {line_id}")

    def __str__(self) -> str:
        if not self._items:
            return "no changes"
        made = [str(change) for change in self._items if not change.cleared]
        cleared = [f"  {change}" for change in self._items if change.cleared]
        if cleared:
            made.append(
                "previous errors cleared (the receiver clears them before the handler runs):"
            )
        return "\n".join(made + cleared)

    def __repr__(self) -> str:
        if not self._items:
            return "Changes([])"
        return f"Changes([{'; '.join(str(change) for change in self._items)}])"


# --- the diff ----------------------------------------------------------------------------------

_MISSING: Final = object()


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but True != 1, and absent == absent."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping | list) or isinstance(b, Mapping | list):
        return False
    return bool(a is b or a == b)


def _present(value: Any) -> Any:
    return None if value is _MISSING else value


def _keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return list(dict.fromkeys([*before, *after]))


def _as_error(value: Any) -> Any:
    """An error value, or None when there is none (absent, null, empty)."""
    if value is _MISSING or value is None or value == {} or value == "":
        return None
    return value


class _Differ:
    """Collects changes with a rank: object errors 0, parameters 1, lines 2, other fields 3."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.changes: list[tuple[int, Change]] = []

    def add(self, rank: int, change: Change) -> None:
        self.changes.append((rank, change))

    # -- generic --------------------------------------------------------------------------------

    def value(
        self, rank: int, subject: str, base: str, field: str, before: Any, after: Any
    ) -> None:
        """Compare two values key by key; ``base`` is the subject's path, ``field`` below it."""
        if _same(before, after):
            return
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            for key in _keys(before, after):
                old, new = before.get(key, _MISSING), after.get(key, _MISSING)
                self.value(rank, subject, base, _join(field, key), old, new)
            return
        if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
            for index, (old, new) in enumerate(zip(before, after, strict=True)):
                self.value(rank, subject, base, _join(field, str(index)), old, new)
            return
        if before is _MISSING:
            kind = ChangeKind.FIELD_ADDED
        elif after is _MISSING:
            kind = ChangeKind.FIELD_REMOVED
        else:
            kind = ChangeKind.FIELD_CHANGED
        change = Change(kind, _join(base, field), _present(before), _present(after), subject, field)
        self.add(rank, change)

    def error(self, rank: int, subject: str, path: str, before: Any, after: Any) -> None:
        old, new = _as_error(before), _as_error(after)
        if _same(old, new):
            return
        if new is None:
            self.add(rank, Change(ChangeKind.ERROR_CLEARED, path, old, _present(after), subject))
        else:
            self.add(rank, Change(ChangeKind.ERROR_SET, path, old, new, subject))

    # -- the object -----------------------------------------------------------------------------

    def top(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        subject = self.subject
        for key in _keys(before, after):
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if key == "error":
                self.error(0, subject, "error", old, new)
            elif key == "parameters":
                self.parameter_bag(old, new)
            elif key == "lines" and isinstance(old, list) and isinstance(new, list):
                self.lines(old, new)
            else:
                self.value(3, subject, "", key, old, new)

    # -- parameters -----------------------------------------------------------------------------

    def parameter_bag(self, before: Any, after: Any) -> None:
        if isinstance(before, list) and isinstance(after, list):
            self.parameter_list("parameters", before, after)
        elif isinstance(before, Mapping) and isinstance(after, Mapping):
            for phase in _keys(before, after):
                old, new = before.get(phase, _MISSING), after.get(phase, _MISSING)
                if isinstance(old, list) and isinstance(new, list):
                    self.parameter_list(f"parameters.{phase}", old, new)
                else:
                    self.value(1, "parameters", "parameters", phase, old, new)
        else:
            self.value(1, self.subject, "", "parameters", before, after)

    def parameter_list(self, base: str, before: list[Any], after: list[Any]) -> None:
        remaining = dict(enumerate(before))
        by_key: dict[str, int] = {}
        for index, item in enumerate(before):
            key = _key(item)
            if key is not None:
                by_key.setdefault(key, index)
        for index, item in enumerate(after):
            key = _key(item)
            if key is not None:
                match = by_key.get(key)
            else:
                # No externalId or id: the item at the same position, if it has none either.
                match = index if index in remaining and _key(remaining[index]) is None else None
            subject = f"parameter {key or f'#{index}'}"
            path = f"{base}.{key or index}"
            if match is None or match not in remaining:
                self.add(1, Change(ChangeKind.PARAMETER_ADDED, path, None, item, subject))
            else:
                self.parameter(subject, path, remaining.pop(match), item)
        for index, item in remaining.items():
            key = _key(item)
            subject = f"parameter {key or f'#{index}'}"
            path = f"{base}.{key or index}"
            self.add(1, Change(ChangeKind.PARAMETER_REMOVED, path, item, None, subject))

    def parameter(self, subject: str, path: str, before: Any, after: Any) -> None:
        if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
            self.value(1, subject, path, "", before, after)
            return
        openapi_error = False
        keys = _keys(before, after)
        keys.sort(key=lambda key: key not in _PARAMETER_ERROR_KEYS)  # errors first
        for key in keys:
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if key == "error":
                self.error(1, subject, f"{path}.error", old, new)
            elif key in ("errorCode", "errorMessage"):
                if not openapi_error:
                    openapi_error = True
                    self.error(
                        1,
                        subject,
                        f"{path}.errorMessage",
                        _openapi_error(before),
                        _openapi_error(after),
                    )
            elif key == "constraints" and _mapping_or_missing(old) and _mapping_or_missing(new):
                self.constraints(subject, path, _dict(old), _dict(new))
            elif key == "value":
                if not _same(old, new):
                    self.add(
                        1,
                        Change(
                            ChangeKind.VALUE_CHANGED,
                            f"{path}.value",
                            _present(old),
                            _present(new),
                            subject,
                            "value",
                        ),
                    )
            else:
                self.value(1, subject, path, key, old, new)

    def constraints(
        self, subject: str, path: str, before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> None:
        for key in _keys(before, after):
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if _same(old, new):
                continue
            kind = _flag_kind(key, new)
            if kind is None:
                self.value(1, subject, path, f"constraints.{key}", old, new)
            else:
                self.add(
                    1,
                    Change(
                        kind,
                        f"{path}.constraints.{key}",
                        _present(old),
                        new,
                        subject,
                        f"constraints.{key}",
                    ),
                )

    # -- lines ----------------------------------------------------------------------------------

    def lines(self, before: list[Any], after: list[Any]) -> None:
        by_id = {_line_id(line): line for line in before if _line_id(line)}
        without_id = [line for line in before if not _line_id(line)]
        seen: set[str] = set()
        for index, line in enumerate(after):
            line_id = _line_id(line)
            if line_id:
                old = by_id.get(line_id)
                if old is None or line_id in seen:
                    self.add(
                        2,
                        Change(
                            ChangeKind.LINE_ADDED, f"lines.{index}", None, line, f"line {line_id}"
                        ),
                    )
                    continue
                seen.add(line_id)
                self.line(f"line {line_id}", f"lines.{line_id}", old, line)
            elif without_id:
                # Lines without ids (a Purchase draft before it is saved) pair up in order.
                self.line(f"line #{index}", f"lines.{index}", without_id.pop(0), line)
            else:
                label = _item_id(line) or f"#{index}"
                self.add(
                    2,
                    Change(
                        ChangeKind.LINE_ADDED, f"lines.{index}", None, line, f"line (new) {label}"
                    ),
                )
        for line_id, line in by_id.items():
            if line_id not in seen:
                self.add(
                    2,
                    Change(
                        ChangeKind.LINE_REMOVED, f"lines.{line_id}", line, None, f"line {line_id}"
                    ),
                )
        for line in without_id:
            label = _item_id(line) or "without id"
            self.add(2, Change(ChangeKind.LINE_REMOVED, "lines", line, None, f"line {label}"))

    def line(self, subject: str, path: str, before: Any, after: Any) -> None:
        if not (isinstance(before, Mapping) and isinstance(after, Mapping)):
            self.value(2, subject, path, "", before, after)
            return
        for key in after:  # a delta: what the answer leaves out is unchanged
            old, new = before.get(key, _MISSING), after[key]
            if key == "quantity":
                if not _same(old, new):
                    self.add(
                        2,
                        Change(
                            ChangeKind.QUANTITY_CHANGED,
                            f"{path}.quantity",
                            _present(old),
                            new,
                            subject,
                            "quantity",
                        ),
                    )
            elif key == "price" and isinstance(new, Mapping) and _mapping_or_missing(old):
                old_price = _dict(old)
                for name, value in new.items():
                    previous = old_price.get(name, _MISSING)
                    if not _same(previous, value):
                        self.add(
                            2,
                            Change(
                                ChangeKind.PRICE_CHANGED,
                                f"{path}.price.{name}",
                                _present(previous),
                                value,
                                subject,
                                f"price.{name}",
                            ),
                        )
            else:
                self.value(2, subject, path, key, old, new)


def _join(base: str, field: str) -> str:
    return f"{base}.{field}" if base and field else base or field


def _key(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for name in ("externalId", "id"):
            value = item.get(name)
            if isinstance(value, str) and value:
                return value
    return None


def _line_id(line: Any) -> str | None:
    value = line.get("id") if isinstance(line, Mapping) else None
    return value if isinstance(value, str) and value else None


def _item_id(line: Any) -> str | None:
    item = line.get("item") if isinstance(line, Mapping) else None
    value = item.get("id") if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None


def _mapping_or_missing(value: Any) -> bool:
    return value is _MISSING or value is None or isinstance(value, Mapping)


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _openapi_error(parameter: Mapping[str, Any]) -> Any:
    code, message = parameter.get("errorCode"), parameter.get("errorMessage")
    if code is None and message is None:
        return None
    return {"id": code, "message": message}


def _flag_kind(key: str, value: Any) -> ChangeKind | None:
    if not isinstance(value, bool):
        return None
    if key == "hidden":
        return ChangeKind.HIDDEN if value else ChangeKind.SHOWN
    if key in ("required", "isOptional"):
        return ChangeKind.REQUIRED if value == (key == "required") else ChangeKind.OPTIONAL
    if key in ("readonly", "isReadonly"):
        return ChangeKind.READONLY if value else ChangeKind.EDITABLE
    return None


def subject_for(object_id: object) -> str:
    """How the object is named in a change: ``order`` for ``ORD-...``, ``object`` when unknown."""
    kind = object_type_for_id(object_id) if isinstance(object_id, str) else None
    return kind.lower() if kind is not None else "object"


def diff_answer(
    request: Mapping[str, Any], answer: Mapping[str, Any], *, subject: str | None = None
) -> Changes:
    """The changes from ``request`` (what the platform sent) to ``answer`` (what came back).

    ``subject`` names the object in the output (default: from its id, ``order`` for
    ``ORD-...``). Object errors come first, then parameters, lines and other fields; previous
    errors cleared come last.

    >>> changes = diff_answer({"id": "ORD-1", "notes": "a"}, {"id": "ORD-1", "notes": "b", "x": 1})
    >>> print(changes)
    order: notes 'a' -> 'b'
    order: x added 1
    >>> changes.fields.of_kind("field_added")[0].path
    'x'
    """
    differ = _Differ(subject or subject_for(request.get("id")))
    differ.top(request, answer)
    ordered = sorted(enumerate(differ.changes), key=lambda entry: (entry[1][0], entry[0]))
    return Changes(change for _, (_, change) in ordered)
