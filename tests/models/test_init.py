from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import receiver.models
from receiver.models import (
    MODEL_BY_OBJECT_TYPE,
    Account,
    Enrollment,
    Order,
    Request,
    ValidateAnswer,
)
from receiver.types import ObjectType


def isort_style(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def test_all_is_sorted_and_importable() -> None:
    assert receiver.models.__all__ == sorted(receiver.models.__all__, key=isort_style)
    for name in receiver.models.__all__:
        assert hasattr(receiver.models, name), name


def test_every_public_name_of_the_concept_modules_is_exported() -> None:
    exported = set(receiver.models.__all__)
    for module_info in pkgutil.iter_modules(receiver.models.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"receiver.models.{module_info.name}")
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            if not name.startswith("_") and defined_here and inspect.isclass(value):
                assert name in exported, f"{module.__name__}.{name} is not in __all__"


@pytest.mark.parametrize(
    ("object_type", "model"),
    [
        pytest.param("Order", Order, id="order"),
        pytest.param("order", Order, id="docs-lowercase"),
        pytest.param("Account", Account, id="account"),
        pytest.param("Request", Request, id="request"),
        pytest.param("Enrollment", Enrollment, id="enrollment"),
        pytest.param("Answer", ValidateAnswer, id="answer"),
    ],
)
def test_model_by_object_type(object_type: str, model: type) -> None:
    assert MODEL_BY_OBJECT_TYPE[ObjectType(object_type)] is model


def test_model_by_object_type_has_exactly_the_five_kinds() -> None:
    assert sorted(MODEL_BY_OBJECT_TYPE) == ["Account", "Answer", "Enrollment", "Order", "Request"]
