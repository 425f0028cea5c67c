"""Every example in the package's docstrings runs and shows what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import receiver

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(receiver.__path__, prefix="receiver.")
    if not info.name.startswith("receiver.testing.plugin")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
