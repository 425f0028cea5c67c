"""Words that messages share: a name with its article ("an int", "an Order").

Every message that names a type with "a"/"an" goes through here, so the rule is written once.
"""

from __future__ import annotations

__all__ = ["type_phrase", "with_article"]

_VOWELS = frozenset("aeiouAEIOU")


def with_article(word: str, *, capital: bool = False) -> str:
    """``word`` after "a" or "an", chosen by its first letter (the names in our messages are
    type and object names, read as spelled: ``an int``, ``a str``, ``an Order``).

    >>> with_article("int"), with_article("list"), with_article("Enrollment", capital=True)
    ('an int', 'a list', 'An Enrollment')
    """
    article = "an" if word[:1] in _VOWELS else "a"
    if capital:
        article = article.capitalize()
    return f"{article} {word}"


def type_phrase(value: object) -> str:
    """What ``value`` is, without showing it (it may be a secret): its type with its article,
    or ``None``.

    >>> type_phrase(5), type_phrase(["x"]), type_phrase(None)
    ('an int', 'a list', 'None')
    """
    if value is None:
        return "None"
    return with_article(type(value).__name__)
