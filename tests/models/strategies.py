"""Hypothesis strategies for wire objects, built from the models' own field declarations.

Each known field is independently absent, null, well-typed, or any other JSON value (a string
quantity, an object where a list belongs); every object level also gets unknown keys, some of
them spelled like the Python attribute names (``old_quantity``) to catch name/alias mix-ups.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from receiver.models._base import WireModel

# Lone surrogates are not valid UTF-8, so no real body can carry them.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
PYTHON_NAMES = st.sampled_from(
    ["old_quantity", "external_id", "unit_pp", "pp_xy", "meta", "from_", "display_value"]
)
EXTRA_KEYS = TEXT | PYTHON_NAMES


def _typed(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of the declared type (recursing into models and lists)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _typed(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_typed(arg) for arg in typing.get_args(annotation)])
    if origin is list:
        (item,) = typing.get_args(annotation)
        return st.lists(_typed(item) | JSON, max_size=3)
    if origin is dict:
        return st.dictionaries(TEXT, JSON, max_size=3)
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return wire_objects(annotation)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: TEXT,
        bool: st.booleans(),
        int: st.integers(min_value=-(2**40), max_value=2**40),
        float: st.floats(allow_nan=False, allow_infinity=False) | st.integers(-1000, 1000),
    }
    return simple.get(annotation, JSON)


_CACHE: dict[type[BaseModel], st.SearchStrategy[dict[str, Any]]] = {}


def wire_objects(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Wire dicts for ``model``: random known fields (typed, wrong-typed, null) + unknown keys."""
    if model in _CACHE:
        return _CACHE[model]
    known: dict[str, st.SearchStrategy[Any]] = {}
    for name, field in model.model_fields.items():
        if name == "id" and field.is_required():
            continue  # top-level ids are added by top_level_objects()
        wire_name = field.serialization_alias or field.alias or name
        known[wire_name] = _typed(field.annotation) | JSON | st.none()
    strategy = st.fixed_dictionaries({}, optional=known).flatmap(
        lambda fields: st.dictionaries(EXTRA_KEYS, JSON, max_size=2).map(
            lambda extra: {**extra, **fields}
        )
    )
    _CACHE[model] = strategy
    return strategy


def top_level_objects(model: type[WireModel]) -> st.SearchStrategy[dict[str, Any]]:
    """A top-level body: always a string ``id``."""
    return st.builds(lambda body, id_: {**body, "id": id_}, wire_objects(model), TEXT)
