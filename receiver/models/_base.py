"""The shared base of every wire model: lenient fields, camelCase on the wire, exact round trip.

Three rules make an untouched object dump to JSON equal to what came in, type for type (key
order aside):

* every field defaults to None and the dump excludes unset fields, so absent stays absent;
* a typed field is validated *strictly* and falls back to the raw value when that fails
  (``"quantity": "5"`` stays the string ``"5"``, ``100`` in a price stays an int), so a
  surprising value never fails the parse and is never coerced;
* unknown keys are kept (``extra="allow"``) and written back untouched.

The annotations say what the platform is documented to send. A value of another type is kept
as it came, which is why the helpers check ``isinstance`` before they trust a field.
"""

from __future__ import annotations

import gc
import json
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, ClassVar, Final, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from receiver.errors import InvalidObjectError

T = TypeVar("T")


def _strict(schema: CoreSchema) -> CoreSchema:
    """The strict form of a field's schema: no coercion, so the first choice never rewrites."""
    kind = schema["type"]
    if kind == "nullable":
        return _strict(schema["schema"])
    # Not "model": a strict model refuses dicts from Python. Lists and dicts: no tuple -> list.
    if kind in ("int", "bool", "str", "list", "dict"):
        return {**schema, "strict": True}
    if kind == "float":
        # A strict float still accepts an int and turns it into a float; keep ints as ints.
        return cs.union_schema(
            [cs.int_schema(strict=True), cs.float_schema(strict=True)], mode="left_to_right"
        )
    if kind == "union":
        return cs.union_schema(
            [_strict(choice) for choice in schema["choices"]], mode="left_to_right"
        )
    return schema


class _LenientMarker:
    """``Annotated`` metadata: try the declared type strictly, else keep the raw value.

    Both steps run in pydantic-core (a left-to-right union with ``any``), so leniency costs no
    Python call per field.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        strict = _strict(handler(source))
        choices = strict["choices"] if strict["type"] == "union" else [strict]
        # Dump by the value's own type: the declared serializers coerce (a float serializer
        # writes the bool False as 0), and the value may be anything.
        return cs.union_schema(
            [*choices, cs.any_schema()],
            mode="left_to_right",
            serialization=cs.simple_ser_schema("any"),
        )


_LENIENT = _LenientMarker()


# A wire key spelled like a Python name (``"old_quantity"``) is kept as an unknown key, but
# pydantic also records it in the fields-set, which would make the field ``oldQuantity``
# appear as null on dump. Such payloads are rare: the names of unknown keys pass through
# _note_python_name (unknown keys are few, so this costs little), and only a parse that saw
# such a name repairs the fields-set by walking the object beside the wire dict.
_RENAMED_NAMES: set[str] = set()
_PYTHON_NAME_SEEN: ContextVar[bool] = ContextVar("python_name_seen", default=False)


def _note_python_name(key: str) -> str:
    if key in _RENAMED_NAMES:
        _PYTHON_NAME_SEEN.set(True)
    return key


_ExtraKey = Annotated[str, AfterValidator(_note_python_name)]

Lenient = Annotated[T | None, _LENIENT]
"""An optional field of type ``T``; a value of another type is kept as it came."""

LenientItem = Annotated[T, _LENIENT]
"""A list item of type ``T``; an item of another type (a number in a list of lines) is kept."""


class WireModel(BaseModel):
    """Base of every model: camelCase aliases, unknown keys kept, unset fields never dumped.

    >>> from receiver.models import Price
    >>> price = Price.from_json('{"unitPP": 100, "currency": "USD", "new": {"a": 1}}')
    >>> price.unit_pp, price.to_dict()
    (100, {'currency': 'USD', 'unitPP': 100, 'new': {'a': 1}})
    """

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        # An infinite float (1e400 parses as inf) or NaN is written as null, as for a dict answer
        # (receiver.answers): Infinity/NaN are not JSON, and the platform retries an answer it
        # cannot parse.
        ser_json_inf_nan="null",
    )

    # Unknown keys are kept as they came; their names pass a check that notices a Python name.
    __pydantic_extra__: dict[_ExtraKey, Any] = Field(init=False)

    # Python names that differ from their wire name (``old_quantity``/``oldQuantity``), and the
    # fields that can hold models, by class: what the name-collision repair below looks at.
    _renamed: ClassVar[dict[str, str]] = {}
    _nested: ClassVar[tuple[tuple[str, str], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._renamed = {
            name: field.alias
            for name, field in cls.model_fields.items()
            if field.alias is not None and field.alias != name
        }
        cls._nested = tuple(
            (name, field.alias or name)
            for name, field in cls.model_fields.items()
            if _holds_models(field.annotation)
        )
        _RENAMED_NAMES.update(cls._renamed)

    # -- parsing -------------------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Parse wire JSON in one pass (pydantic-core's parser); raise InvalidObjectError.

        >>> from receiver.models import Order
        >>> Order.from_json(b'{"id": "ORD-1", "lines": []}').id
        'ORD-1'
        """
        token = _PYTHON_NAME_SEEN.set(False)
        try:
            with collector_paused(len(data)):
                obj = cls.model_validate_json(data, by_alias=True, by_name=False)
            if _PYTHON_NAME_SEEN.get():
                _forget_python_names(obj, json.loads(data))
        except ValidationError as exc:
            raise InvalidObjectError(cls.__name__, _describe(exc)) from exc
        finally:
            _PYTHON_NAME_SEEN.reset(token)
        return obj

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a wire dict (camelCase keys); raise InvalidObjectError.

        >>> from receiver.models import Account
        >>> Account.from_dict({"id": "ACC-1", "externalId": "X"}).external_id
        'X'
        """
        token = _PYTHON_NAME_SEEN.set(False)
        try:
            obj = cls.model_validate(data, by_alias=True, by_name=False)
            if _PYTHON_NAME_SEEN.get():
                _forget_python_names(obj, data)
        except ValidationError as exc:
            raise InvalidObjectError(cls.__name__, _describe(exc)) from exc
        finally:
            _PYTHON_NAME_SEEN.reset(token)
        return obj

    # -- dumping -------------------------------------------------------------------------------

    def to_json(self) -> bytes:
        """The wire JSON: camelCase keys, only what came in or was set since.

        >>> from receiver.models import Line
        >>> Line(quantity=2).to_json()
        b'{"quantity":2}'
        """
        return self.__pydantic_serializer__.to_json(self, by_alias=True, exclude_unset=True)

    def to_dict(self) -> dict[str, Any]:
        """The wire object as Python: what :meth:`to_json` writes, before encoding."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @property
    def raw(self) -> dict[str, Any]:
        """The wire dict (the same as :meth:`to_dict`)."""
        return self.to_dict()

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Only what the object holds: forty ``None`` fields hide the one that matters. Read
        # through getattr, so a lazily parsed field shows as its model, not as its wire dict.
        fields_set = self.__pydantic_fields_set__
        for name in self.__dict__:
            if name in fields_set:
                yield name, getattr(self, name)
        if self.__pydantic_extra__:
            yield from self.__pydantic_extra__.items()


# Parsing builds a tree: no reference cycles, nothing for the cycle collector to free. Yet a
# large body allocates enough objects to trigger many collections, each re-scanning the objects
# built so far, which makes parse time grow faster than the body (2000 lines cost ~2.4x 1000
# lines, ~1.35x slower than without). For bodies this large the collector waits until the parse
# is done; small bodies (nearly every order) leave it alone.
_PAUSE_COLLECTOR_FROM: Final = 64 * 1024


@contextmanager
def collector_paused(size: int) -> Iterator[None]:
    if size < _PAUSE_COLLECTOR_FROM or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _forget_python_names(obj: WireModel, wire: Mapping[str, Any]) -> None:
    """Drop fields from the fields-set that were set only by an unknown key of the same name.

    Only models are visited, and only their model-holding fields; the wire dict is consulted
    only for a model whose unknown keys include one of its Python names.
    """
    extra = obj.__pydantic_extra__
    if extra and obj._renamed:
        fields_set = obj.__pydantic_fields_set__
        for name, alias in obj._renamed.items():
            if name in extra and alias not in wire:
                fields_set.discard(name)
    values = obj.__dict__
    for name, alias in obj._nested:
        value = values[name]
        if isinstance(value, WireModel):
            wire_value = wire.get(alias)
            if isinstance(wire_value, Mapping):  # not a model instance handed to from_dict
                _forget_python_names(value, wire_value)
        elif isinstance(value, list):
            for item, wire_item in zip(value, wire.get(alias) or (), strict=False):
                if isinstance(item, WireModel) and isinstance(wire_item, Mapping):
                    _forget_python_names(item, wire_item)


def _holds_models(annotation: Any) -> bool:
    """Whether a field declared as ``annotation`` can hold a model (directly or in a list)."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return issubclass(annotation, BaseModel)
    return any(_holds_models(arg) for arg in typing.get_args(annotation))


def _describe(exc: ValidationError) -> str:
    """The first problem, without echoing the input (it may hold personal data)."""
    error = exc.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "the body"
    return f"{where}: {error['msg']}"
