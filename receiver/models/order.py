"""The Order: the object every order-family webhook carries, and the helpers to answer it.

>>> from receiver.models import Order
>>> order = Order.from_json(b'{"id": "ORD-1", "type": "Purchase", "lines": []}')
>>> order.is_purchase
True
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field

from receiver.errors import LineNotFoundError
from receiver.models._base import Lenient, LenientItem
from receiver.models._object import ErrorObjectModel
from receiver.models.common import Audit, ExternalIds, Meta, Party, Reference
from receiver.models.lines import Line, Price
from receiver.models.messages import Message
from receiver.models.parameters import (
    Parameter,
    ParameterBag,
    find_parameter_in,
    parameter_in,
)


class OrderType(StrEnum):
    """Known order types (OAS ``OrderType``; the canon adds Suspend, Resume: platform.md §2.4)."""

    PURCHASE = "Purchase"
    CHANGE = "Change"
    TERMINATION = "Termination"
    CONFIGURATION = "Configuration"
    SUSPEND = "Suspend"
    RESUME = "Resume"


class OrderStatus(StrEnum):
    """Known order statuses (OAS ``OrderStatus``)."""

    NEW = "New"
    DRAFT = "Draft"
    DELETED = "Deleted"
    PROCESSING = "Processing"
    QUERYING = "Querying"
    FAILED = "Failed"
    COMPLETED = "Completed"
    QUOTED = "Quoted"


class Order(ErrorObjectModel):
    """An order as the platform sends it for validation (platform.md §2.4).

    Python names are the wire names in snake case: ``externalIds`` -> ``external_ids``,
    ``statusNotes`` -> ``status_notes``, ``billTo`` -> ``bill_to``, ``pricingPolicy`` ->
    ``pricing_policy``, ``termsAndConditions`` -> ``terms_and_conditions``, ``$meta`` -> ``meta``.
    ``type`` and ``status`` are strings (compare with :class:`OrderType`/:class:`OrderStatus`);
    a value we do not know is kept as it came.

    >>> order = Order.from_dict({"id": "ORD-1", "type": "Change", "lines": [
    ...     {"id": "ALI-1", "oldQuantity": 10, "quantity": 15},
    ...     {"item": {"id": "ITM-2"}, "oldQuantity": 0, "quantity": 1}]})
    >>> [line.id for line in order.upsized_lines], len(order.new_lines)
    (['ALI-1'], 1)
    """

    href: Lenient[str] = None
    revision: Lenient[int] = None
    type: Lenient[str] = None
    status: Lenient[str] = None
    notes: Lenient[str] = None
    comments: Lenient[str] = None
    status_notes: Lenient[Message] = None
    agreement: Lenient[Reference] = None
    product: Lenient[Reference] = None
    listing: Lenient[Reference] = None
    authorization: Lenient[Reference] = None
    template: Lenient[Reference] = None
    pricing_policy: Lenient[Reference] = None
    assignee: Lenient[Reference] = None
    client: Lenient[Party] = None
    vendor: Lenient[Party] = None
    buyer: Lenient[Party] = None
    seller: Lenient[Party] = None
    licensee: Lenient[Party] = None
    bill_to: Lenient[Party] = None
    external_ids: Lenient[ExternalIds] = None
    price: Lenient[Price] = None
    lines: Lenient[list[LenientItem[Line]]] = None
    subscriptions: Lenient[list[LenientItem[Reference]]] = None
    assets: Lenient[list[LenientItem[Reference]]] = None
    parameters: Lenient[ParameterBag] = None
    terms_and_conditions: Lenient[list[LenientItem[Reference]]] = None
    certificates: Lenient[list[LenientItem[Reference]]] = None
    audit: Lenient[Audit] = None
    meta: Lenient[Meta] = Field(None, alias="$meta")

    _parameter_bag = ParameterBag

    # -- what kind of order ---------------------------------------------------------------------
    # Case-insensitive: vendor fixtures show lowercase enum values, and a wrong-case "purchase"
    # is still a purchase order to the handler (the value itself is kept as it came).

    @property
    def is_purchase(self) -> bool:
        """``type`` is Purchase."""
        return self._type_is(OrderType.PURCHASE)

    @property
    def is_change(self) -> bool:
        """``type`` is Change."""
        return self._type_is(OrderType.CHANGE)

    @property
    def is_termination(self) -> bool:
        """``type`` is Termination."""
        return self._type_is(OrderType.TERMINATION)

    @property
    def is_configuration(self) -> bool:
        """``type`` is Configuration."""
        return self._type_is(OrderType.CONFIGURATION)

    def _type_is(self, order_type: OrderType) -> bool:
        return isinstance(self.type, str) and self.type.lower() == order_type.lower()

    # -- lines ----------------------------------------------------------------------------------

    def all_lines(self) -> list[Line]:
        """The lines that are line objects (a stray non-object item is kept but skipped)."""
        if not isinstance(self.lines, list):
            return []
        return [line for line in self.lines if isinstance(line, Line)]

    @property
    def new_lines(self) -> list[Line]:
        """Lines with ``oldQuantity == 0``."""
        return [line for line in self.all_lines() if line.is_new]

    @property
    def upsized_lines(self) -> list[Line]:
        """Lines with ``quantity > oldQuantity > 0``."""
        return [line for line in self.all_lines() if line.is_upsized]

    @property
    def downsized_lines(self) -> list[Line]:
        """Lines with ``quantity < oldQuantity``."""
        return [line for line in self.all_lines() if line.is_downsized]

    def line(self, line_id: str) -> Line:
        """The line with this id; LineNotFoundError lists the ids there are.

        >>> Order(id="ORD-1", lines=[Line(id="ALI-1")]).line("ALI-1").id
        'ALI-1'
        """
        lines = self.all_lines()
        for line in lines:
            if line.id == line_id:
                return line
        raise LineNotFoundError(line_id, [line.id for line in lines if isinstance(line.id, str)])

    def set_line_price(self, line_id: str, *, unit_pp: float) -> Line:
        """Set ``price.unitPP`` of a line (creating ``price`` if needed); return the line.

        >>> order = Order(id="ORD-1", lines=[Line(id="ALI-1")])
        >>> order.set_line_price("ALI-1", unit_pp=93.17).to_dict()
        {'id': 'ALI-1', 'price': {'unitPP': 93.17}}
        """
        line = self.line(line_id)
        if not isinstance(line.price, Price):
            line.price = Price()
        line.price.unit_pp = unit_pp
        return line

    def add_line(self, item_id: str, quantity: int) -> Line:
        """Append a new line ``{"item": {"id": item_id}, "quantity": quantity}`` and return it.

        No ``oldQuantity``: current Adobe and AWS practice (platform.md §3.2); the platform creates
        a line for an item without a line id.

        >>> Order(id="ORD-1").add_line("ITM-1111-1111-0002", 1).to_dict()
        {'item': {'id': 'ITM-1111-1111-0002'}, 'quantity': 1}
        """
        line = Line(item=Reference(id=item_id), quantity=quantity)
        if isinstance(self.lines, list):
            self.lines.append(line)
        else:  # absent, null, or not a list: the new line list replaces it
            self.lines = [line]
        return line

    # -- parameters and errors ------------------------------------------------------------------

    def parameter(self, external_id: str) -> Parameter:
        """The parameter with this ``externalId``, ordering first, then fulfillment; raises
        ParameterNotFoundError (listing the ids there are) when the order has none.

        >>> order = Order.from_dict({"id": "ORD-1", "parameters": {"ordering": [
        ...     {"externalId": "companyName", "value": ""}]}})
        >>> order.parameter("companyName").set_error("E1", "Required.").error.id
        'E1'
        """
        return parameter_in(self.parameters, external_id)

    def find_parameter(self, external_id: str) -> Parameter | None:
        """The parameter with this ``externalId``, ordering first, then fulfillment; None when
        the order has none (an order of another product, or one without ``parameters``).

        >>> order = Order.from_dict({"id": "ORD-1", "parameters": {"ordering": []}})
        >>> order.find_parameter("companyName") is None
        True
        """
        return find_parameter_in(self.parameters, external_id)

    def clear_errors(self) -> Self:
        """Null ``error`` and every ordering parameter's ``error`` where present.

        >>> order = Order.from_dict({"id": "ORD-1", "error": {"message": "old"},
        ...     "parameters": {"ordering": [{"externalId": "a"}]}})
        >>> order.clear_errors().to_dict()
        {'id': 'ORD-1', 'error': None, 'parameters': {'ordering': [{'externalId': 'a'}]}}
        """
        super().clear_errors()
        self._clear_parameter_errors()
        return self
