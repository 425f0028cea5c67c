"""RQL filters as the platform writes them: ``eq(type,ValidatePurchaseOrderDraft)``,
``and(eq(object.id,PRD-1111-1111),eq(status,Enabled))``, ``in(type,(A,B))``.

Each function returns the expression's text; :class:`receiver.platform.WebhooksClient.list`
takes any number of them (all must hold).

    >>> and_(eq("object.id", "PRD-1111-1111"), in_("type", ["A", "B"]))
    'and(eq(object.id,PRD-1111-1111),in(type,(A,B)))'
    >>> eq("url", "https://vendor.example/validate")
    'eq(url,https://vendor.example/validate)'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

# Characters that end a word of an RQL expression: a value holding one cannot be written.
_SYNTAX: Final = frozenset("(),&")


def _word(value: str, what: str) -> str:
    text = str(value)
    if not text or _SYNTAX & set(text) or text != text.strip():
        raise ValueError(
            f"{what} {text!r} cannot be written in an RQL filter: it must be non-empty, without"
            " '(', ')', ',' or '&' and without surrounding spaces."
        )
    return text


def eq(field: str, value: str) -> str:
    """``field`` equals ``value`` (enums compare without regard to case)."""
    return f"eq({_word(field, 'field')},{_word(value, 'value')})"


def ne(field: str, value: str) -> str:
    """``field`` is not ``value``."""
    return f"ne({_word(field, 'field')},{_word(value, 'value')})"


def in_(field: str, values: Iterable[str]) -> str:
    """``field`` is one of ``values``."""
    words = [_word(value, "value") for value in values]
    if not words:
        raise ValueError(f"in({field},...) needs at least one value.")
    return f"in({_word(field, 'field')},({','.join(words)}))"


def like(field: str, pattern: str) -> str:
    """``field`` matches ``pattern`` (``*`` is any text)."""
    return f"like({_word(field, 'field')},{_word(pattern, 'pattern')})"


def and_(*expressions: str) -> str:
    """Every expression holds."""
    return _combine("and", expressions)


def or_(*expressions: str) -> str:
    """At least one expression holds."""
    return _combine("or", expressions)


def not_(expression: str) -> str:
    """The expression does not hold."""
    return f"not({expression})"


def _combine(name: str, expressions: tuple[str, ...]) -> str:
    if not expressions:
        raise ValueError(f"{name}() needs at least one expression.")
    if len(expressions) == 1:
        return expressions[0]
    return f"{name}({','.join(expressions)})"
