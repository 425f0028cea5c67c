"""Order and enrollment parameters, their constraints, and the helpers that answer with them.

A parameter is found by its ``externalId`` (the id the vendor chose), in ``ordering`` first and
then ``fulfillment``: ``parameter()`` raises ParameterNotFoundError when there is none,
``find_parameter()`` returns None. Refusing a value means: set its ``error``, and make it
visible and required so the buyer sees the field (the AWS and SDK6 way, platform.md §3.2: merged
into the existing constraints, so ``readonly`` and unknown keys survive).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, Self

from receiver.errors import ParameterNotFoundError
from receiver.models._base import Lenient, LenientItem, WireModel
from receiver.models.messages import Message


class ParameterType(StrEnum):
    """Known parameter types (OAS ``ParameterType``); ``Parameter.type`` may hold others."""

    SINGLE_LINE_TEXT = "SingleLineText"
    MULTI_LINE_TEXT = "MultiLineText"
    ADDRESS = "Address"
    CONTACT = "Contact"
    CHECKBOX = "Checkbox"
    CHOICE = "Choice"
    SUBDOMAIN = "Subdomain"
    HEADING = "Heading"
    DROP_DOWN = "DropDown"
    EMAIL = "Email"
    DATA_OBJECT = "DataObject"
    DATE = "Date"


class ParameterPhase(StrEnum):
    """Known parameter phases (OAS ``ParameterPhase``)."""

    CONFIGURATION = "Configuration"
    ORDER = "Order"
    FULFILLMENT = "Fulfillment"


class ParameterScope(StrEnum):
    """Known parameter scopes (platform.md §2.4.1)."""

    AGREEMENT = "Agreement"
    ORDER = "Order"


class Constraints(WireModel):
    """What the buyer's form does with a parameter: ``hidden``, ``required``, ``readonly``,
    ``unique``. Absent constraints mean "as in the parameter definition".

    >>> Constraints(hidden=False, required=True).to_dict()
    {'hidden': False, 'required': True}
    """

    hidden: Lenient[bool] = None
    required: Lenient[bool] = None
    readonly: Lenient[bool] = None
    unique: Lenient[bool] = None


class Parameter(WireModel):
    """One parameter of an order or enrollment.

    Wire ``externalId`` is ``external_id``, ``displayValue`` is ``display_value``. ``value`` is
    any JSON (a string, ``["Yes"]`` for a checkbox, an address object, ...).

    >>> p = Parameter(external_id="companyName", value="Contoso <Ltd>")
    >>> p.set_error("VIPM0002", "The company name is not valid.").to_dict()["constraints"]
    {'hidden': False, 'required': True}
    """

    id: Lenient[str] = None
    external_id: Lenient[str] = None
    name: Lenient[str] = None
    type: Lenient[str] = None
    phase: Lenient[str] = None
    scope: Lenient[str] = None
    multiple: Lenient[bool] = None
    value: Any = None
    display_value: Lenient[str] = None
    constraints: Lenient[Constraints] = None
    error: Lenient[Message] = None

    def set_error(self, id: str | None, message: str) -> Self:
        """Refuse the value: set ``error``, and show the parameter as required.

        >>> Parameter(external_id="x").set_error("E1", "Not valid.").error.message
        'Not valid.'
        """
        self.error = Message(id, message)
        return self._constrain(hidden=False, required=True)

    @property
    def has_error(self) -> bool:
        """True when an error is set on this parameter."""
        return bool(self.error)

    def clear_error(self) -> Self:
        """Set ``error`` to null if the key is there (an absent ``error`` stays absent)."""
        if "error" in self.__pydantic_fields_set__:
            self.error = None
        return self

    def show(self, required: bool | None = None) -> Self:
        """Make the parameter visible; set ``required`` too when given.

        >>> Parameter().show(required=True).constraints.to_dict()
        {'hidden': False, 'required': True}
        """
        if required is None:
            return self._constrain(hidden=False)
        return self._constrain(hidden=False, required=required)

    def hide(self) -> Self:
        """Hide the parameter (hidden, and so not required)."""
        return self._constrain(hidden=True, required=False)

    def readonly(self, flag: bool = True) -> Self:
        """Make the parameter read-only for the buyer (or editable again with ``False``)."""
        return self._constrain(readonly=flag)

    def set_value(self, value: Any) -> Self:
        """Set ``value`` (``displayValue`` is left to the platform).

        >>> Parameter(value=" 651706759263 ").set_value("651706759263").value
        '651706759263'
        """
        self.value = value
        return self

    def _constrain(self, **flags: bool) -> Self:
        # Merge: keep readonly/unique/unknown keys the platform sent (platform.md §3.2, AWS/SDK6).
        if not isinstance(self.constraints, Constraints):
            self.constraints = Constraints()
        for name, flag in flags.items():
            setattr(self.constraints, name, flag)
        return self


class ParameterBag(WireModel):
    """``parameters`` of an order or enrollment: ``ordering`` and ``fulfillment`` lists.

    >>> bag = ParameterBag.from_dict({"ordering": [{"externalId": "a"}], "fulfillment": []})
    >>> bag.parameter("a").external_id
    'a'
    """

    ordering: Lenient[list[LenientItem[Parameter]]] = None
    fulfillment: Lenient[list[LenientItem[Parameter]]] = None

    # Lists searched by parameter(), in order, and the lists whose errors clear_errors() clears.
    _searched: ClassVar[tuple[str, ...]] = ("ordering", "fulfillment")
    _cleared: ClassVar[tuple[str, ...]] = ("ordering",)

    def all(self) -> list[Parameter]:
        """Every parameter, ordering first; items that are not parameter objects are skipped."""
        return self._parameters(self._searched)

    def parameter(self, external_id: str) -> Parameter:
        """The parameter with this ``externalId`` (ordering first); ParameterNotFoundError
        lists the ids there are."""
        found = self.find_parameter(external_id)
        if found is None:
            raise ParameterNotFoundError(external_id, known_external_ids(self.all()))
        return found

    def find_parameter(self, external_id: str) -> Parameter | None:
        """The parameter with this ``externalId`` (ordering first), or None.

        >>> bag = ParameterBag.from_dict({"ordering": [{"externalId": "a"}]})
        >>> bag.find_parameter("a").external_id, bag.find_parameter("b")
        ('a', None)
        """
        for parameter in self.all():
            if parameter.external_id == external_id:
                return parameter
        return None

    def clear_errors(self) -> Self:
        """Clear the ``error`` of every ordering parameter (as both reference vendors do)."""
        for parameter in self._parameters(self._cleared):
            parameter.clear_error()
        return self

    def _parameters(self, names: tuple[str, ...]) -> list[Parameter]:
        found: list[Parameter] = []
        for name in names:
            group = getattr(self, name)
            if isinstance(group, list):
                found.extend(item for item in group if isinstance(item, Parameter))
        return found


def known_external_ids(parameters: Iterable[Any]) -> list[str]:
    """The external ids of ``parameters`` that have one (for error messages)."""
    known = (getattr(p, "external_id", None) for p in parameters)
    return [external_id for external_id in known if isinstance(external_id, str)]


def parameter_in(bag: object, external_id: str) -> Parameter:
    """``bag.parameter(external_id)``, or ParameterNotFoundError when there is no bag."""
    if isinstance(bag, ParameterBag):
        return bag.parameter(external_id)
    raise ParameterNotFoundError(external_id, [])


def find_parameter_in(bag: object, external_id: str) -> Parameter | None:
    """``bag.find_parameter(external_id)``, or None when there is no bag."""
    return bag.find_parameter(external_id) if isinstance(bag, ParameterBag) else None
