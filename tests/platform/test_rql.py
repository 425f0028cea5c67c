"""receiver.platform.rql: filters written as the platform writes them."""

from __future__ import annotations

import pytest

from receiver.platform import rql


def test_expressions() -> None:
    assert rql.eq("status", "Enabled") == "eq(status,Enabled)"
    assert rql.ne("type", "ValidateAccount") == "ne(type,ValidateAccount)"
    assert rql.in_("object.id", ["PRD-1", "PRD-2"]) == "in(object.id,(PRD-1,PRD-2))"
    assert rql.like("url", "*acme*") == "like(url,*acme*)"
    assert rql.not_(rql.eq("status", "Enabled")) == "not(eq(status,Enabled))"
    assert rql.or_(rql.eq("a", "1"), rql.eq("b", "2")) == "or(eq(a,1),eq(b,2))"
    assert rql.and_(rql.eq("a", "1")) == "eq(a,1)"


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        pytest.param(lambda: rql.eq("url", "https://x/(y)"), "cannot be written", id="paren"),
        pytest.param(lambda: rql.eq("a", "x,y"), "cannot be written", id="comma"),
        pytest.param(lambda: rql.eq("a", ""), "cannot be written", id="empty"),
        pytest.param(lambda: rql.eq("a", " x"), "cannot be written", id="spaces"),
        pytest.param(lambda: rql.in_("a", []), "at least one value", id="empty-in"),
        pytest.param(lambda: rql.and_(), "at least one expression", id="empty-and"),
    ],
)
def test_what_cannot_be_written_is_refused(build: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        build()  # type: ignore[operator]
