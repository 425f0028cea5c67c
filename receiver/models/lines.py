"""Order lines and prices.

A line says how many of an ``item`` the order moves a ``subscription`` (or ``asset``) from
(``oldQuantity``) and to (``quantity``): ``0 -> N`` is new, ``M -> N`` a change, ``N -> 0`` a
termination, ``N -> N`` a configuration (platform.md §2.3).
"""

from __future__ import annotations

from pydantic import Field

from receiver.models._base import Lenient, WireModel
from receiver.models.common import Reference


class Price(WireModel):
    """A line price or an order's summary price.

    Wire names are kept in the platform's spelling; Python names are snake case:
    ``unitPP`` -> ``unit_pp``, ``unitSP`` -> ``unit_sp``, ``PPx1`` -> ``pp_x1``,
    ``PPxY`` -> ``pp_xy`` (per year), ``PPxM`` -> ``pp_xm`` (per month), and the same for the
    selling prices ``SPx1``/``SPxY``/``SPxM``. A vendor sees purchase prices (``PP``) only.

    >>> Price(currency="USD", unit_pp=93.17).to_dict()
    {'currency': 'USD', 'unitPP': 93.17}
    """

    currency: Lenient[str] = None
    markup: Lenient[float] = None
    margin: Lenient[float] = None
    default_markup: Lenient[float] = None
    markup_source: Lenient[str] = None
    default_markup_source: Lenient[str] = None
    unit_pp: Lenient[float] = Field(None, alias="unitPP")
    unit_sp: Lenient[float] = Field(None, alias="unitSP")
    pp_x1: Lenient[float] = Field(None, alias="PPx1")
    pp_xy: Lenient[float] = Field(None, alias="PPxY")
    pp_xm: Lenient[float] = Field(None, alias="PPxM")
    sp_x1: Lenient[float] = Field(None, alias="SPx1")
    sp_xy: Lenient[float] = Field(None, alias="SPxY")
    sp_xm: Lenient[float] = Field(None, alias="SPxM")


class Line(WireModel):
    """One order line. Wire ``oldQuantity`` is ``old_quantity``.

    >>> line = Line.from_dict({"id": "ALI-1", "oldQuantity": 10, "quantity": 15})
    >>> line.is_upsized, line.is_new
    (True, False)
    """

    id: Lenient[str] = None
    item: Lenient[Reference] = None
    old_quantity: Lenient[int] = None
    quantity: Lenient[int] = None
    price: Lenient[Price] = None
    subscription: Lenient[Reference] = None
    asset: Lenient[Reference] = None
    description: Lenient[str] = None

    # The three definitions of SDK6 models/order.py (platform.md §2.3). A quantity that is not a
    # number (the platform sends int32) makes all three False rather than guessing.

    @property
    def is_new(self) -> bool:
        """``oldQuantity == 0``: a line that adds an item."""
        old = _number(self.old_quantity)
        return old is not None and old == 0

    @property
    def is_upsized(self) -> bool:
        """``quantity > oldQuantity > 0``."""
        old, new = _number(self.old_quantity), _number(self.quantity)
        return old is not None and new is not None and new > old > 0

    @property
    def is_downsized(self) -> bool:
        """``quantity < oldQuantity`` (terminations included)."""
        old, new = _number(self.old_quantity), _number(self.quantity)
        return old is not None and new is not None and new < old


def _number(value: object) -> int | float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None
