"""The examples in the models' docstrings run, so they cannot rot."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import receiver.models

MODULES = ["receiver.models"] + [
    f"receiver.models.{info.name}" for info in pkgutil.iter_modules(receiver.models.__path__)
]


@pytest.mark.parametrize("module_name", [pytest.param(name, id=name) for name in MODULES])
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)

    assert result.failed == 0
