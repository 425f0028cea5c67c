"""The base of the objects a webhook carries (Order, Account, Request, Enrollment, Answer).

They share the interface the receiver calls: ``from_json``/``from_dict``, ``to_json``/``to_dict``,
``raw``, ``id``, ``set_error`` and ``clear_errors``. ``id`` is the one field that must be there:
without it the platform could not match the answer to its object.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Self

from pydantic import Field

from receiver.models._base import Lenient, WireModel
from receiver.models.messages import Message
from receiver.models.parameters import ParameterBag


class ObjectModel(WireModel):
    """An object the platform sends to a webhook; only ``id`` is required."""

    id: str = Field(strict=True)

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
        return any(parameter.has_error for parameter in self.all_parameters())

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
