"""The Request a ``ValidateRequest`` webhook would carry (deprecated object, platform.md §2.9).

Two shapes exist and both parse and round-trip:

* documented (DOCS ``commerce-api/requests``): ``parameters`` is a bag of order-style
  parameters (``ordering``; the docs also say ``order``) and ``error`` is ``{id, message}``;
* OpenAPI (``Request``): ``parameters`` is a list of :class:`RequestParameter`
  (``errorCode``/``errorMessage`` on each) and ``error`` is a plain string.

The helpers answer in the shape that came.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import Field

from receiver.errors import ParameterNotFoundError
from receiver.models._base import Lenient, LenientItem, WireModel
from receiver.models._object import ObjectModel
from receiver.models.common import Audit, ExternalIds, Meta, Party, Reference
from receiver.models.messages import Message, check_message
from receiver.models.parameters import Parameter, ParameterBag, known_external_ids


class RequestParameterBag(ParameterBag):
    """The documented ``parameters`` of a request: ``ordering`` (and ``order``, the docs'
    spelling), ``fulfillment``."""

    order: Lenient[list[LenientItem[Parameter]]] = None

    _searched: ClassVar[tuple[str, ...]] = ("ordering", "order", "fulfillment")
    _cleared: ClassVar[tuple[str, ...]] = ("ordering", "order")


class RequestParameterConstraints(WireModel):
    """OpenAPI request parameter constraints: ``isReadonly`` -> ``is_readonly``,
    ``isOptional`` -> ``is_optional``."""

    is_readonly: Lenient[bool] = None
    is_optional: Lenient[bool] = None


class RequestParameter(WireModel):
    """A parameter of an OpenAPI-shaped request; its error is ``errorCode`` + ``errorMessage``.

    >>> p = RequestParameter(external_id="tenant", value="x")
    >>> p.set_error("R1", "Unknown tenant.").to_dict()
    {'externalId': 'tenant', 'value': 'x', 'errorMessage': 'Unknown tenant.', 'errorCode': 'R1'}
    """

    id: Lenient[str] = None
    external_id: Lenient[str] = None
    title: Lenient[str] = None
    description: Lenient[str] = None
    value: Any = None
    display_order: Lenient[int] = None
    constraints: Lenient[RequestParameterConstraints] = None
    type_options: Any = None
    error_message: Lenient[str] = None
    error_code: Lenient[str] = None

    def set_error(self, id: str | None, message: str) -> Self:
        """Set ``errorCode`` and ``errorMessage``."""
        self.error_message = check_message(message)
        self.error_code = id
        return self

    @property
    def has_error(self) -> bool:
        """True when an error message or code is set on this parameter."""
        return bool(self.error_message or self.error_code)

    def clear_error(self) -> Self:
        """Null ``errorCode``/``errorMessage`` where present."""
        fields_set = self.__pydantic_fields_set__
        if "error_message" in fields_set:
            self.error_message = None
        if "error_code" in fields_set:
            self.error_code = None
        return self

    def set_value(self, value: Any) -> Self:
        """Set ``value``."""
        self.value = value
        return self


class Request(ObjectModel):
    """A request (deprecated platform object), in either shape.

    Python names: ``from`` -> ``from_``, ``externalId`` -> ``external_id``, ``externalIds`` ->
    ``external_ids``, ``$meta`` -> ``meta``.

    >>> documented = Request.from_dict({"id": "REQ-1", "error": None,
    ...     "parameters": {"ordering": [{"externalId": "tenant"}]}})
    >>> documented.set_error("R1", "Refused.").to_dict()["error"]
    {'id': 'R1', 'message': 'Refused.'}
    >>> oas = Request.from_dict({"id": "REQ-2", "error": None, "parameters": [{"externalId": "t"}]})
    >>> oas.set_error("R1", "Refused.").to_dict()["error"]
    'Refused.'
    """

    href: Lenient[str] = None
    name: Lenient[str] = None
    status: Lenient[str] = None
    external_id: Lenient[str] = None
    external_ids: Lenient[ExternalIds] = None
    client: Lenient[Party] = None
    vendor: Lenient[Party] = None
    from_: Lenient[Party] = Field(None, alias="from")
    to: Lenient[Party] = None
    requester: Lenient[Reference] = None
    assignee: Lenient[Reference] = None
    product: Lenient[Reference] = None
    parameters: Lenient[RequestParameterBag | list[LenientItem[RequestParameter]]] = None
    messages: Lenient[list[Any]] = None
    error: Lenient[Message | str] = None
    audit: Lenient[Audit] = None
    meta: Lenient[Meta] = Field(None, alias="$meta")

    @property
    def is_openapi_shape(self) -> bool:
        """True when the request came in the OpenAPI shape (list of parameters or a string
        error)."""
        return isinstance(self.parameters, list) or isinstance(self.error, str)

    def set_error(self, id: str | None, message: str, parameters: Any = None) -> Self:
        """Refuse the request: ``{id, message}``, or only the message string in the OpenAPI
        shape (which has no error code)."""
        if self.is_openapi_shape:
            self.error = check_message(message)
        else:
            self.error = Message(id, message, parameters)
        return self

    def clear_errors(self) -> Self:
        """Null ``error`` and each parameter's error where present."""
        if "error" in self.__pydantic_fields_set__:
            self.error = None
        if isinstance(self.parameters, RequestParameterBag):
            self.parameters.clear_errors()
        elif isinstance(self.parameters, list):
            for item in self.parameters:
                if isinstance(item, RequestParameter):
                    item.clear_error()
        return self

    def all_parameters(self) -> list[Parameter | RequestParameter]:
        """Every parameter, whichever the shape."""
        if isinstance(self.parameters, RequestParameterBag):
            return list(self.parameters.all())
        if isinstance(self.parameters, list):
            return [item for item in self.parameters if isinstance(item, RequestParameter)]
        return []

    def parameter(self, external_id: str) -> Parameter | RequestParameter:
        """The parameter with this ``externalId``; both kinds have ``set_error``,
        ``clear_error`` and ``set_value``. Raises ParameterNotFoundError when there is none."""
        found = self.find_parameter(external_id)
        if found is None:
            raise ParameterNotFoundError(external_id, known_external_ids(self.all_parameters()))
        return found

    def find_parameter(self, external_id: str) -> Parameter | RequestParameter | None:
        """The parameter with this ``externalId``, or None."""
        for parameter in self.all_parameters():
            if parameter.external_id == external_id:
                return parameter
        return None
