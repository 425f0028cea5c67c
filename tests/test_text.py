"""receiver._text: the article in every message that names a type or an object."""

from __future__ import annotations

import pytest

from receiver._text import type_phrase, with_article


@pytest.mark.parametrize(
    ("word", "phrase"),
    [
        ("int", "an int"),
        ("Order", "an Order"),
        ("Enrollment", "an Enrollment"),
        ("Account", "an Account"),
        ("Answer", "an Answer"),
        ("object", "an object"),
        ("array", "an array"),
        ("str", "a str"),
        ("Request", "a Request"),
        ("dict", "a dict"),
        ("", "a "),
    ],
)
def test_with_article(word: str, phrase: str) -> None:
    assert with_article(word) == phrase


def test_with_article_at_the_start_of_a_sentence() -> None:
    assert with_article("Order", capital=True) == "An Order"
    assert with_article("Request", capital=True) == "A Request"


@pytest.mark.parametrize(
    ("value", "phrase"),
    [(5, "an int"), (1.5, "a float"), (["x"], "a list"), (None, "None"), (object(), "an object")],
)
def test_type_phrase(value: object, phrase: str) -> None:
    assert type_phrase(value) == phrase
