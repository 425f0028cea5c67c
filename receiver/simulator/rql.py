"""RQL-lite: the part of the platform's Resource Query Language the Webhook API list needs.

A query string is ``&``-separated parts; each part is an RQL expression (all of them must hold),
a ``field=value`` shorthand for ``eq(field,value)``, or one of ``select=``, ``limit=``,
``offset=``. Operators: ``eq``, ``ne``, ``in``, ``out``, ``like``/``ilike`` (``*`` wildcards),
``and``, ``or``, ``not``. Fields are dot-paths into the object (``object.id``,
``criteria.product.id``); values are compared as text, enums (``status``, ``type``,
``objectType``) case-insensitively so ``eq(status,enabled)`` finds ``Enabled``.

Bounds, so that no query can cost more than a small one: the query string is at most
``MAX_QUERY_LENGTH`` characters, expressions nest at most ``MAX_DEPTH`` levels (checked before
descending, so neither reading nor evaluating recurses deeper), ``limit`` and ``offset`` are
digits 0-9, and ``like`` is matched piece by piece, without a regular expression. Anything
else is a 400 Problem.

CloudBlue's ``lib-rql`` (the dialect the platform's RQL descends from) was weighed as a
replacement and not taken: a 500-deep ``and(`` raises RecursionError in it as well, it refuses
``not(and(...))`` and ``not(not(...))``, has no ``limit``/``offset``, needs every field declared
up front, and crashes (AttributeError, VisitError) on a ``like`` of a missing field or an empty
query.

    >>> query = parse_query("and(eq(type,validatePurchaseOrderDraft),eq(status,Enabled))"
    ...                     "&select=+statistics&limit=5")
    >>> query.matches({"type": "ValidatePurchaseOrderDraft", "status": "Enabled"})
    True
    >>> query.include, query.limit, query.offset
    (frozenset({'statistics'}), 5, 0)
    >>> parse_query("in(object.id,(PRD-1,PRD-2))").matches({"object": {"id": "PRD-2"}})
    True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn
from urllib.parse import unquote

from receiver.simulator._http import whole_number
from receiver.simulator.problems import Problem, excerpt

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 1000
MAX_OFFSET: Final = 2**31 - 1
MAX_QUERY_LENGTH: Final = 8192
"""Characters of a query string (as sent, percent-encoded); more is a 400."""
MAX_DEPTH: Final = 32
"""Levels of ``and``/``or``/``not`` around a comparison, the comparison included."""
LOGICAL: Final = frozenset({"and", "or", "not"})
COMPARISONS: Final = frozenset({"eq", "ne", "in", "out", "like", "ilike"})
# Compared without regard to case: the platform's docs spell these in lowerCamelCase.
CASE_INSENSITIVE_FIELDS: Final = frozenset({"status", "type", "objectType"})

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed list query: a filter, what ``select`` adds and removes, and the page."""

    predicates: tuple[Predicate, ...] = ()
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` (a wire dict) passes every filter expression."""
        return all(predicate(item) for predicate in self.predicates)


def parse_query(raw: str) -> Query:
    """Parse a raw (still percent-encoded) query string; a malformed one raises a 400 Problem.

    ``+`` is kept as a plus, not read as a space: ``select=+statistics`` is how RQL adds a field
    (a client that form-encodes it to a space gets the same result).
    """
    if len(raw) > MAX_QUERY_LENGTH:
        raise Problem(
            400,
            f"The query string has {len(raw)} characters; at most {MAX_QUERY_LENGTH} are read."
            " Filter with fewer or shorter expressions.",
        )
    predicates: list[Predicate] = []
    include: set[str] = set()
    exclude: set[str] = set()
    limit, offset = DEFAULT_LIMIT, 0
    for part in raw.split("&"):
        if not part:
            continue
        text = unquote(part)
        head = text.split("(", 1)[0]
        if "(" in text and head.isidentifier():
            predicates.append(_Parser(text).parse())
            continue
        name, sep, value = text.partition("=")
        if not sep:
            raise Problem(
                400, f"Cannot read the query part {excerpt(text)}: not an RQL expression."
            )
        if name == "select":
            added, removed = parse_select(value)
            include |= added
            exclude |= removed
        elif name == "limit":
            limit = whole_number("limit", value, MAX_LIMIT)
        elif name == "offset":
            offset = whole_number("offset", value, MAX_OFFSET)
        elif name == "order":
            continue  # the simulator lists in creation order
        else:
            predicates.append(_compare("eq", name, [value]))
    return Query(tuple(predicates), frozenset(include), frozenset(exclude), limit, offset)


def parse_select(value: str) -> tuple[set[str], set[str]]:
    """``+statistics,-audit,criteria`` -> ({'statistics', 'criteria'}, {'audit'}).

    A bare name is read like ``+name`` (SDK5 asks ``select=criteria``); a leading space is a
    form-encoded ``+``.

    >>> added, removed = parse_select("+statistics, lastCall,-audit")
    >>> sorted(added), sorted(removed)
    (['lastCall', 'statistics'], ['audit'])
    """
    include: set[str] = set()
    exclude: set[str] = set()
    for item in value.split(","):
        name = item.strip()
        if name.startswith("-"):
            exclude.add(name[1:])
        elif name:
            include.add(name.removeprefix("+"))
    return {name for name in include if name}, {name for name in exclude if name}


def resolve(item: Any, path: str) -> Any:
    """The value at a dot-path; a key that itself has dots (``criteria["product.id"]``) is
    found too. Missing -> None.

    >>> resolve({"criteria": {"product.id": "PRD-1"}}, "criteria.product.id")
    'PRD-1'
    """
    if not isinstance(item, Mapping):
        return None
    if path in item:
        return item[path]
    head, dot, rest = path.partition(".")
    if not dot:
        return None
    return resolve(item.get(head), rest)


def scalar_text(value: Any) -> str | None:
    """A JSON scalar as the text filters and criteria compare (``true``/``false`` for
    booleans); None for null, objects and arrays, which match nothing."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compare(operator: str, path: str, values: list[str]) -> Predicate:
    fold = path in CASE_INSENSITIVE_FIELDS or operator == "ilike"

    def norm(value: str) -> str:
        return value.casefold() if fold else value

    wanted = [norm(_strip_quotes(value)) for value in values]

    def predicate(item: Mapping[str, Any]) -> bool:
        found = scalar_text(resolve(item, path))
        if operator in ("ne", "out"):
            return found is None or norm(found) not in wanted
        if found is None:
            return False
        if operator in ("like", "ilike"):
            return like(norm(found), wanted[0])
        return norm(found) in wanted

    return predicate


def like(text: str, pattern: str) -> bool:
    """RQL's ``like``: ``*`` stands for any run of characters; nothing else is special (glob's
    ``?`` and ``[...]`` are plain characters here). The pieces between stars are found left to
    right, without backtracking and with nothing cached: ``fnmatch`` keeps up to 32768 compiled
    patterns, over a hundred KiB each for a long one.

    >>> like("PRD-1111-1111", "PRD-*-1111"), like("PRD-1", "PRD-?")
    (True, False)
    """
    first, *pieces = pattern.split("*")
    if not pieces:
        return text == pattern
    last = pieces.pop()
    if len(first) + len(last) > len(text) or not (text.startswith(first) and text.endswith(last)):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in pieces:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


class _Parser:
    """A recursive-descent parser of one RQL expression (``name(arg,...)``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> Predicate:
        predicate = self._expression(depth=1)
        if self.pos != len(self.text):
            self._fail("unexpected text after the expression")
        return predicate

    def _fail(self, why: str) -> NoReturn:
        raise Problem(
            400,
            f"Cannot parse the RQL expression {excerpt(self.text)} at position {self.pos}: {why}."
            " Write it like eq(type,ValidatePurchaseOrderDraft) or"
            " and(eq(object.id,PRD-1111-1111),eq(status,Enabled)).",
        )

    def _word(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in "(),":
            self.pos += 1
        return self.text[start : self.pos].strip()

    def _expect(self, char: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            self._fail(f"expected {char!r}")
        self.pos += 1

    def _expression(self, depth: int) -> Predicate:
        name = self._word()
        self._expect("(")
        if name in LOGICAL:
            # Refused before descending: Python's stack (and the nested predicates') stays
            # MAX_DEPTH frames deep whatever the input.
            if depth >= MAX_DEPTH:
                self._fail(
                    f"expressions are nested more than {MAX_DEPTH} levels deep;"
                    " write and(a,b,c) rather than and(a,and(b,c))"
                )
            parts = [self._expression(depth + 1)]
            while self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                parts.append(self._expression(depth + 1))
            self._expect(")")
            if name == "not":
                if len(parts) != 1:
                    self._fail("not() takes one expression")
                inner = parts[0]
                return lambda item: not inner(item)
            combine = all if name == "and" else any
            return lambda item: combine(part(item) for part in parts)
        if name not in COMPARISONS:
            self._fail(f"unknown operator {excerpt(name)}")
        path = self._word()
        if not path:
            self._fail("missing field name")
        self._expect(",")
        values = self._list() if name in ("in", "out") else [self._word()]
        self._expect(")")
        return _compare(name, path, values)

    def _list(self) -> list[str]:
        # in(field,(a,b)) as the platform writes it; in(field,a,b) is accepted too.
        bracketed = self.pos < len(self.text) and self.text[self.pos] == "("
        if bracketed:
            self.pos += 1
        values = [self._word()]
        while self.pos < len(self.text) and self.text[self.pos] == ",":
            self.pos += 1
            values.append(self._word())
        if bracketed:
            self._expect(")")
        return values
