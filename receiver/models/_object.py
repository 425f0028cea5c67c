"""The base of the objects a webhook carries (Order, Account, Request, Enrollment, Answer).

They share the interface the receiver calls: ``from_json``/``from_dict``, ``to_json``/``to_dict``,
``raw``, ``id``, ``set_error`` and ``clear_errors``. ``id`` is the one field that must be there:
without it the platform could not match the answer to its object.

``from_json`` parses lazily. The body is parsed once into plain JSON values; the fields whose
model would equal the JSON value anyway (strings, numbers, booleans, kept as they came) take it
as is, and a field that holds models (``lines``, ``parameters``, ``product``, ...) keeps its
JSON value until it is first read, when it is validated exactly as a full parse would have done
it. A field nobody reads is dumped straight from its JSON value, which is equal to what its
model would dump (the round-trip rule). A handler sees no difference: every read returns the
model; only the key order of untouched parts of the answer is the platform's, not the model's.
"""

from __future__ import annotations

import typing
from abc import abstractmethod
from typing import Annotated, Any, ClassVar, Final, Self

import pydantic_core
from pydantic import Field, TypeAdapter

from receiver._wire_errors import clear_parameter_errors, parameters_may_have_errors
from receiver.errors import InvalidObjectError
from receiver.models._base import (
    _LENIENT,
    _PAUSE_COLLECTOR_FROM,
    _PYTHON_NAME_SEEN,
    Lenient,
    WireModel,
    _forget_python_names,
    collector_paused,
)
from receiver.models.messages import Message
from receiver.models.parameters import ParameterBag

_SCALARS = (str, int, float, bool)


def _raw_is_the_value(field: Any) -> bool:
    """Whether validating any JSON value for this field returns that value unchanged: a
    lenient scalar (strictly its type, else kept as it came), or ``Any``."""
    if field.annotation is Any and not field.metadata:
        return True
    if len(field.metadata) != 1 or field.metadata[0] is not _LENIENT:
        return False
    args = typing.get_args(field.annotation)
    return len(args) == 2 and type(None) in args and any(arg in _SCALARS for arg in args)


class _LazyField:
    """A model-holding field of an object that ``from_json`` parsed lazily: its first read
    validates the JSON value kept for it (see the module docstring).

    The JSON values still waiting are kept, by field name, in the instance's
    ``__pydantic_private__`` (unused otherwise: lazy parsing is only for models without private
    attributes). An assignment (pydantic writes ``__dict__`` directly) replaces the value, which
    is then no longer the waiting one and is returned as assigned.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: ObjectModel | None, owner: type | None = None) -> Any:
        if obj is None:  # like pydantic: fields are not class attributes
            raise AttributeError(self.name)
        name = self.name
        values = obj.__dict__
        try:
            value = values[name]
        except KeyError:
            raise _no_attribute(obj, name) from None
        waiting = obj.__pydantic_private__
        if waiting and name in waiting:
            raw = waiting.pop(name)
            if raw is value:
                value = values[name] = type(obj)._load_field(name, raw)
        return value

    def __set__(self, obj: ObjectModel, value: Any) -> None:
        obj.__dict__[self.name] = value

    def __delete__(self, obj: ObjectModel) -> None:
        try:
            del obj.__dict__[self.name]
        except KeyError:
            raise _no_attribute(obj, self.name) from None


def _no_attribute(obj: object, name: str) -> AttributeError:
    return AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}")


class ObjectModel(WireModel):
    """An object the platform sends to a webhook; only ``id`` is required."""

    id: str = Field(strict=True)

    # Lazy parsing, worked out per class: whether the class allows it, wire key -> field name,
    # the fields kept as JSON until read, every field's default (in field order), and the
    # validators of the lazy fields (built at first use).
    _lazy_parsing: ClassVar[bool] = False
    _wire_names: ClassVar[dict[str, str]] = {}
    _lazy_fields: ClassVar[frozenset[str]] = frozenset()
    _defaults: ClassVar[dict[str, Any]] = {}
    _field_adapters: ClassVar[dict[str, TypeAdapter[Any]]] = {}
    # The class of ``parameters`` when it is an order-style ParameterBag (Order, Enrollment):
    # clear_errors and has_errors then read an unread ``parameters`` without building it.
    _parameter_bag: ClassVar[type[ParameterBag] | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        decorators = cls.__pydantic_decorators__
        cls._lazy_parsing = (
            not cls.__private_attributes__
            and cls.__pydantic_post_init__ is None
            and cls.model_config.get("extra") == "allow"
            and not any(
                (
                    decorators.validators,
                    decorators.field_validators,
                    decorators.root_validators,
                    decorators.model_validators,
                )
            )
            and all(
                isinstance(field.alias, str)
                and field.validation_alias in (None, field.alias)
                and field.default_factory is None
                and (name == "id" or field.default is None)
                for name, field in fields.items()
            )
        )
        cls._wire_names = {field.alias or name: name for name, field in fields.items()}
        cls._lazy_fields = frozenset(
            name for name, field in fields.items() if name != "id" and not _raw_is_the_value(field)
        )
        cls._defaults = {name: None for name in fields}
        cls._field_adapters = {}
        for name in cls._lazy_fields:
            setattr(cls, name, _LazyField(name))

    @classmethod
    def from_json(cls, data: bytes | str) -> Self:
        """Parse wire JSON in one pass (pydantic-core's parser), lazily (see the module
        docstring); raise InvalidObjectError.

        >>> from receiver.models import Order
        >>> order = Order.from_json(b'{"id": "ORD-1", "lines": [{"id": "ALI-1"}]}')
        >>> order.id, order.lines[0].id
        ('ORD-1', 'ALI-1')
        """
        if cls._lazy_parsing:
            # NaN/Infinity literals are not JSON (pydantic's own parse below accepts them).
            try:
                if len(data) < _PAUSE_COLLECTOR_FROM:  # most bodies: no context manager
                    wire = pydantic_core.from_json(data, allow_inf_nan=False)
                else:
                    with collector_paused(len(data)):
                        wire = pydantic_core.from_json(data, allow_inf_nan=False)
            except ValueError:
                wire = None
                _refuse_non_json_literals(cls.__name__, data)
            if isinstance(wire, dict) and isinstance(wire.get("id"), str):
                return cls._from_wire(wire)
        # Not JSON, not an object, no string id (the full parse says which), or a subclass that
        # needs its validators to run.
        return super().from_json(data)

    @classmethod
    def from_parsed(cls, wire: dict[str, Any]) -> Self:
        """The object over ``wire``, a dict freshly parsed from JSON that it takes over (do not
        use the dict afterwards): as cheap as :meth:`from_json`, fields validated when first
        read. Raise InvalidObjectError.

        >>> from receiver.models import Order
        >>> Order.from_parsed({"id": "ORD-1", "lines": [{"id": "ALI-1"}]}).lines[0].id
        'ALI-1'
        """
        if cls._lazy_parsing and isinstance(wire.get("id"), str):
            return cls._from_wire(wire)
        return cls.from_dict(wire)

    @classmethod
    def _from_wire(cls, wire: dict[str, Any]) -> Self:
        """The object over a freshly parsed wire dict, which it takes over (see from_json)."""
        values = dict(cls._defaults)
        fields_set: set[str] = set()
        extra: dict[str, Any] = {}
        waiting: dict[str, Any] = {}
        names = cls._wire_names
        lazy = cls._lazy_fields
        renamed = cls._renamed
        for key, value in wire.items():
            name = names.get(key)
            if name is None:
                extra[key] = value
                # As pydantic does, unknown keys count as set; a Python name of a renamed
                # field does not (see _forget_python_names).
                if key not in renamed:
                    fields_set.add(key)
                continue
            values[name] = value
            fields_set.add(name)
            if name in lazy and isinstance(value, dict | list):
                waiting[name] = value
        obj = cls.__new__(cls)
        object.__setattr__(obj, "__dict__", values)
        object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
        object.__setattr__(obj, "__pydantic_extra__", extra)
        object.__setattr__(obj, "__pydantic_private__", waiting or None)
        return obj

    @classmethod
    def _load_field(cls, name: str, raw: Any) -> Any:
        """Validate a lazy field's JSON value as the full parse would have."""
        adapter = cls._field_adapters.get(name)
        if adapter is None:
            field = cls.model_fields[name]
            annotated: Any = (
                Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
            )
            adapter = cls._field_adapters[name] = TypeAdapter(annotated)
        token = _PYTHON_NAME_SEEN.set(False)
        try:
            value = adapter.validate_python(raw, by_alias=True, by_name=False)
            if _PYTHON_NAME_SEEN.get():
                _forget_python_names_in(value, raw)
        finally:
            _PYTHON_NAME_SEEN.reset(token)
        return value

    def _unread(self, name: str) -> Any:
        """The JSON value of lazy field ``name`` if it has not been read yet, else None."""
        waiting = self.__pydantic_private__
        if waiting:
            raw = waiting.get(name)
            if raw is not None and raw is self.__dict__.get(name):
                return raw
        return None

    def _load_all(self) -> None:
        """Read every lazy field (before copying, pickling or comparing)."""
        waiting = self.__pydantic_private__
        if waiting is not None and self._lazy_parsing:
            for name in list(waiting):
                getattr(self, name)
            object.__setattr__(self, "__pydantic_private__", None)

    # Unread fields dump from their JSON values, which equals the models' dump in the wire form
    # (camelCase, only what is set: to_json, to_dict). Any other model_dump (all fields, Python
    # names, include/exclude, ...) reads every field first. (A wrap model_serializer would cover
    # dumps through an enclosing model too, but doubles the cost of to_json.)

    def model_dump(self, *args: Any, **options: Any) -> dict[str, Any]:
        if self.__pydantic_private__ is not None and not _wire_form(options):
            self._load_all()
        return super().model_dump(*args, **options)

    def model_dump_json(self, *args: Any, **options: Any) -> str:
        if self.__pydantic_private__ is not None and not _wire_form(options):
            self._load_all()
        return super().model_dump_json(*args, **options)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ObjectModel):
            self._load_all()
            other._load_all()
        return super().__eq__(other)

    def __copy__(self) -> Self:
        self._load_all()
        return super().__copy__()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        self._load_all()
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        self._load_all()
        return super().__getstate__()

    @abstractmethod
    def set_error(self, id: str | None, message: str, parameters: Any = None) -> Self:
        """Refuse the object: set its ``error``. Raises ValueError for an empty message and
        MessageTooLongError over 4000 characters."""
        raise NotImplementedError

    @abstractmethod
    def clear_errors(self) -> Self:
        """Clear earlier errors; keys that were absent stay absent."""
        raise NotImplementedError

    @property
    def has_errors(self) -> bool:
        """True when the object refuses something: an ``error`` on it or on a parameter.

        >>> from receiver.models import Order
        >>> order = Order.from_dict({"id": "ORD-1", "parameters": {"ordering": [
        ...     {"externalId": "companyName", "error": {"message": "Required."}}]}})
        >>> order.has_errors, order.clear_errors().has_errors
        (True, False)
        """
        if getattr(self, "error", None):
            return True
        bag = self._parameter_bag
        if bag is not None:
            raw = self._unread("parameters")
            if raw is not None and not parameters_may_have_errors(raw, bag._searched):
                return False
        return any(parameter.has_error for parameter in self.all_parameters())

    def _clear_parameter_errors(self) -> None:
        """Clear the errors of the ordering parameters, in the wire dict if still unread."""
        bag = self._parameter_bag
        raw = self._unread("parameters") if bag is not None else None
        if bag is not None and raw is not None:
            clear_parameter_errors(raw, bag._cleared)
            return
        parameters = getattr(self, "parameters", None)
        if isinstance(parameters, ParameterBag):
            parameters.clear_errors()

    def all_parameters(self) -> list[Any]:
        """Every parameter object the object carries (none for kinds without parameters)."""
        bag = getattr(self, "parameters", None)
        return bag.all() if isinstance(bag, ParameterBag) else []


class ErrorObjectModel(ObjectModel):
    """An object whose ``error`` is a :class:`Message` (everything but the OAS-shaped Request)."""

    error: Lenient[Message] = None

    def set_error(self, id: str | None, message: str, parameters: Any = None) -> Self:
        """Refuse the whole object with an error code and message.

        >>> from receiver.models import Order
        >>> order = Order(id="ORD-1").set_error("AWS003", "Change orders are not supported.")
        >>> order.to_dict()
        {'id': 'ORD-1', 'error': {'id': 'AWS003', 'message': 'Change orders are not supported.'}}
        """
        self.error = Message(id, message, parameters)
        return self

    def clear_errors(self) -> Self:
        """Set ``error`` to null where the key is present (absent stays absent).

        >>> from receiver.models import Account
        >>> Account.from_dict({"id": "ACC-1", "error": {"message": "old"}}).clear_errors().raw
        {'id': 'ACC-1', 'error': None}
        """
        if "error" in self.__pydantic_fields_set__:
            self.error = None
        return self


_WIRE_FORM_OPTIONS: Final = frozenset({"mode", "by_alias", "exclude_unset", "warnings"})


def _wire_form(options: dict[str, Any]) -> bool:
    """Whether dump options ask for the wire form, which unread JSON values already are."""
    return (
        options.get("exclude_unset") is True
        and options.get("by_alias") in (None, True)
        and options.keys() <= _WIRE_FORM_OPTIONS
    )


def _forget_python_names_in(value: Any, wire: Any) -> None:
    """_forget_python_names for a lazy field's value: a model or a list of them."""
    if isinstance(value, WireModel) and isinstance(wire, dict):
        _forget_python_names(value, wire)
    elif isinstance(value, list) and isinstance(wire, list):
        for item, wire_item in zip(value, wire, strict=False):
            if isinstance(item, WireModel) and isinstance(wire_item, dict):
                _forget_python_names(item, wire_item)


def _refuse_non_json_literals(kind: str, data: bytes | str) -> None:
    """Raise InvalidObjectError when ``data`` is JSON only with NaN/Infinity allowed (the strict
    parse failed); return when it is not JSON at all (the full parse says where)."""
    try:
        pydantic_core.from_json(data)
    except ValueError:
        return
    raise InvalidObjectError(kind, "NaN and Infinity are not JSON numbers")
