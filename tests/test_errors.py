"""The error tree: every exception class the package defines is a ReceiverError, drawn in the
tree of receiver.errors, and keeps the built-in base callers catch."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import receiver
import receiver.errors
from receiver.errors import ReceiverError


def defined_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in a module of the package (each module imported)."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(receiver.__path__, prefix="receiver."):
        module = importlib.import_module(info.name)
        for _, member in inspect.getmembers(module, inspect.isclass):
            # A private class is a signal between two lines of one module, never raised to users.
            private = member.__qualname__.startswith("_")
            if issubclass(member, BaseException) and member.__module__ == info.name and not private:
                found[f"{member.__module__}.{member.__qualname__}"] = member
    return [found[name] for name in sorted(found)]


EXCEPTIONS = defined_exceptions()


def test_the_walk_finds_the_errors_of_every_part() -> None:
    modules = {cls.__module__ for cls in EXCEPTIONS}
    assert {
        "receiver.errors",
        "receiver._loader",
        "receiver.scaffold",
        "receiver.testing.overrides",
        "receiver.simulator.problems",
    } <= modules


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda cls: cls.__qualname__)
def test_every_exception_class_is_a_receiver_error(cls: type[BaseException]) -> None:
    assert issubclass(cls, ReceiverError), f"{cls.__module__}.{cls.__qualname__}"


def drawn_parents() -> dict[str, str | None]:
    """Each class drawn in the tree of receiver.errors, with the class drawn above it."""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name) of the open branches
    for line in (receiver.errors.__doc__ or "").splitlines():
        match = re.match(r"([│ ]*(?:[├└]── )?)([A-Z]\w*Error|Problem)\b", line)
        if match is None or not line.startswith("    "):  # the tree, not the prose around it
            continue
        column, name = len(match.group(1)), match.group(2)
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((column, name))
    return parents


DRAWN = drawn_parents()


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda cls: cls.__qualname__)
def test_the_tree_draws_every_exception_class_under_its_base(cls: type[BaseException]) -> None:
    name = cls.__qualname__
    assert name in DRAWN, f"{name} is not drawn in the tree of receiver.errors"
    parent = DRAWN[name]
    if parent is None:
        assert cls is ReceiverError
    else:
        assert parent in {base.__name__ for base in cls.__bases__}, (name, parent)


def test_the_tree_draws_no_class_that_does_not_exist() -> None:
    assert set(DRAWN) == {cls.__qualname__ for cls in EXCEPTIONS}


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("receiver.scaffold.InvalidNameError", ValueError),
        ("receiver.scaffold.UnknownTypeError", ValueError),
        ("receiver.testing.samples.SampleError", ValueError),
        ("receiver.errors.UnknownWebhookTypeError", ValueError),
        ("receiver.errors.InvalidNumberError", ValueError),
        ("receiver.errors.InvalidObjectError", ValueError),
        ("receiver.errors.MessageTooLongError", ValueError),
        ("receiver.errors.ParameterNotFoundError", KeyError),
        ("receiver.errors.LineNotFoundError", KeyError),
    ],
)
def test_the_builtin_bases_callers_catch_are_kept(name: str, builtin: type[Exception]) -> None:
    module, _, attribute = name.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), attribute), builtin)
