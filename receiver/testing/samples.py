"""Realistic payloads for every webhook type, built from the platform contract's examples.

Each factory returns a fresh dict in the platform's wire shape (camelCase keys), ready to send
with :class:`receiver.testing.PlatformClient` or to parse with the models:

    >>> from receiver.testing import samples
    >>> order = samples.purchase_order(parameters={"companyName": ""}, seed=1)
    >>> order["type"], order["status"], order["id"]
    ('Purchase', 'Draft', 'ORD-3201-2033-5179')
    >>> [p["value"] for p in order["parameters"]["ordering"] if p["externalId"] == "companyName"]
    ['']

**Ids.** Transaction ids (order, agreement, lines, subscriptions, account, request, enrollment)
look real (``ORD-3201-2033-5179``, ``ALI-3201-2033-5179-0001``) and are fresh on every call;
``seed=`` makes them reproducible. Catalog ids stay fixed so handlers that check them keep
working: product ``PRD-1111-1111``, items ``ITM-1111-1111-0001`` (Acme Pro, unitPP 100.0) and
``ITM-1111-1111-0002`` (Acme Storage add-on, unitPP 20.0), parameters ``PAR-1111-1111-00NN``.

**Overrides**, applied last, in the order given:

- by keyword, with the wire name or the model's snake_case name:
  ``notes="Rush"``, ``external_ids={"client": "PO-1"}``; :data:`REMOVE` deletes a key;
- by dotted path: ``**{"product.id": "PRD-2222-2222", "lines.0.quantity": 3}`` (or
  :func:`with_overrides`, which type checkers accept). A segment that
  is not a number selects the list item with that ``externalId`` or ``id``:
  ``**{"parameters.ordering.companyName.constraints.hidden": True}``; the paths in
  :class:`receiver.testing.Changes` use the same form;
- ``parameters={"companyName": "Contoso"}`` sets parameter values by ``externalId`` (ordering,
  then fulfillment); a full ``{"ordering": [...], "fulfillment": [...]}`` replaces the bag;
- ``lines=[{"item_id": "ITM-1111-1111-0002", "quantity": 3}]`` builds lines the way the order
  type has them (keys ``item_id``, ``quantity``, ``old_quantity``, ``unit_pp``, ``id``,
  ``subscription_id``); a wire dict (with ``item``, ``price``, ...) is used as it is.

**Named samples** (for ``receiver samples [NAME]`` and :func:`get`): see :data:`NAMES`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any, Final, NamedTuple

from receiver.errors import ReceiverError
from receiver.models import (
    MODEL_BY_OBJECT_TYPE,
    Account,
    Enrollment,
    Order,
    Request,
    ValidateAnswer,
)
from receiver.models._base import WireModel
from receiver.types import (
    SELECT_ORDER_LINES,
    VALIDATE_ACCOUNT,
    VALIDATE_ANSWER,
    VALIDATE_CHANGE_ORDER_DRAFT,
    VALIDATE_CONFIGURATION_ORDER_DRAFT,
    VALIDATE_ENROLLMENT_DRAFT,
    VALIDATE_ENROLLMENT_QUERYING,
    VALIDATE_PURCHASE_ORDER_DRAFT,
    VALIDATE_PURCHASE_ORDER_QUERYING,
    VALIDATE_RE_ENROLLMENT,
    VALIDATE_RE_ENROLLMENT_QUERYING,
    VALIDATE_REQUEST,
    VALIDATE_TERMINATE_ORDER,
    WebhookType,
    object_type_for_id,
    parse_known_webhook_type,
)

__all__ = [
    "CATALOG",
    "NAMES",
    "PRODUCT_ID",
    "REMOVE",
    "SampleError",
    "SampleInfo",
    "account",
    "answer",
    "change_order",
    "configuration_order",
    "enrollment",
    "for_type",
    "get",
    "info",
    "model_for",
    "order",
    "purchase_order",
    "request",
    "set_path",
    "termination_order",
    "with_overrides",
]


class _Remove:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REMOVE"

    def __reduce__(self) -> str:
        return "REMOVE"  # copies and pickles are the singleton


REMOVE: Final = _Remove()
"""An override value that deletes the key (or list item): ``samples.order(notes=REMOVE)``."""


def _is_remove(value: object) -> bool:
    # By type name, not identity: a module reloaded by a test runner (pytester restores
    # sys.modules) makes a second REMOVE, and either must work.
    return type(value).__qualname__ == "_Remove" and type(value).__module__ == __name__


class SampleError(ReceiverError, ValueError):
    """An override that cannot be applied (a path that does not exist, an unknown parameter)."""


PRODUCT_ID: Final = "PRD-1111-1111"

CATALOG: Final[Mapping[str, Mapping[str, Any]]] = {
    "ITM-1111-1111-0001": {"name": "Acme Pro (1 year)", "vendor": "ACME-PRO-1Y", "unitPP": 100.0},
    "ITM-1111-1111-0002": {"name": "Acme Storage add-on", "vendor": "ACME-STO", "unitPP": 20.0},
}
"""The items the samples sell: ``{item_id: {"name", "vendor", "unitPP"}}``."""

_FIRST_ITEM: Final = "ITM-1111-1111-0001"
_SECOND_ITEM: Final = "ITM-1111-1111-0002"

# Fixed times from the contract's examples: samples are reproducible and need no clock.
_CREATED: Final = "2026-04-29T15:37:16.071Z"
_UPDATED: Final = "2026-04-29T15:40:02.113Z"
_JANE: Final = {"id": "USR-0000-0001", "name": "Jane Doe"}
_ADDRESS: Final = {
    "addressLine1": "3601 Lyon St",
    "addressLine2": "",
    "postCode": "94123",
    "city": "San Jose",
    "state": "CA",
    "country": "US",
}
_CONTACT: Final = {
    "firstName": "Jane",
    "lastName": "Doe",
    "email": "jane.doe@contoso.example",
    "phone": {"prefix": "+1", "number": "4085550100"},
}


class _Ids:
    """Ids that look like the platform's: groups of four digits, fresh unless seeded."""

    def __init__(self, seed: int | str | None) -> None:
        # Not for security: test ids only. random.Random(None) seeds itself from os.urandom.
        self._rng = random.Random(seed)  # noqa: S311

    def digits(self, groups: int) -> str:
        return "-".join(str(self._rng.randint(1000, 9999)) for _ in range(groups))


# --- applying overrides ------------------------------------------------------------------------


def _wire_name(model: type[WireModel], key: str) -> str:
    """The wire name of a top-level keyword: a model's snake_case field name maps to its alias;
    anything else (a wire name, an unknown field) is used as given."""
    field = model.model_fields.get(key)
    return field.alias if field is not None and field.alias is not None else key


def _describe_keys(node: object) -> str:
    if isinstance(node, list):
        labels = [_item_label(item) for item in node]
        named = [label for label in labels if label is not None]
        extra = f"; items by externalId/id: {', '.join(named)}" if named else ""
        return f"a list of {len(node)} item(s){extra}"
    return f"a {type(node).__name__}"


def _item_label(item: object) -> str | None:
    if isinstance(item, Mapping):
        for key in ("externalId", "id"):
            value = item.get(key)
            if isinstance(value, str):
                return value
    return None


def _list_index(node: list[Any], segment: str, path: str, *, allow_end: bool) -> int:
    try:
        index = int(segment)
    except ValueError:
        for position, item in enumerate(node):
            if _item_label(item) == segment or (
                isinstance(item, Mapping) and item.get("id") == segment
            ):
                return position
        raise SampleError(
            f"No item {segment!r} at {path!r}: it is {_describe_keys(node)}."
        ) from None
    size = len(node)
    if index < 0:
        index += size
    if 0 <= index < size or (allow_end and index == size):
        return index
    raise SampleError(
        f"Index {segment} is out of range at {path!r}, a list of {size} item(s)"
        f"{' (use index ' + str(size) + ' to append)' if allow_end else ''}."
    )


def _child(node: Any, segment: str, next_segment: str, where: str) -> Any:
    """Step from ``node`` (at path ``where``) into ``segment``, creating a missing object."""
    here = f"{where}.{segment}" if where else segment
    if isinstance(node, MutableMapping):
        value = node.get(segment)
        if value is None:
            if next_segment.lstrip("-").isdigit():
                raise SampleError(f"{here!r} has no list to index; set it first.")
            value = node[segment] = {}
        return value
    if isinstance(node, list):
        index = _list_index(node, segment, here, allow_end=True)
        if index == len(node):
            node.append({})
        return node[index]
    raise SampleError(f"Cannot step into {where!r}: it is {_describe_keys(node)}.")


def set_path(data: MutableMapping[str, Any], path: str, value: Any) -> None:
    """Set (or, with :data:`REMOVE`, delete) the value at a dotted ``path`` in ``data``.

    >>> data = {"lines": [{"id": "ALI-1", "quantity": 1}], "parameters": {"ordering": [
    ...     {"externalId": "companyName", "value": ""}]}}
    >>> set_path(data, "lines.ALI-1.quantity", 3)
    >>> set_path(data, "parameters.ordering.companyName.value", "Contoso")
    >>> data["lines"][0]["quantity"], data["parameters"]["ordering"][0]["value"]
    (3, 'Contoso')
    """
    segments = path.split(".")
    node: Any = data
    for position, segment in enumerate(segments[:-1]):
        node = _child(node, segment, segments[position + 1], ".".join(segments[:position]))
    last = segments[-1]
    value = copy.deepcopy(value)
    if isinstance(node, MutableMapping):
        if _is_remove(value):
            if last not in node:
                raise SampleError(f"Cannot remove {path!r}: there is no such key.")
            del node[last]
        else:
            node[last] = value
        return
    if isinstance(node, list):
        index = _list_index(node, last, path, allow_end=not _is_remove(value))
        if _is_remove(value):
            del node[index]
        elif index == len(node):
            node.append(value)
        else:
            node[index] = value
        return
    parent = ".".join(segments[:-1])
    raise SampleError(f"Cannot set {path!r}: {parent!r} is {_describe_keys(node)}.")


def _apply(
    data: dict[str, Any], overrides: Mapping[str, Any], model: type[WireModel]
) -> dict[str, Any]:
    for key, value in overrides.items():
        head, dot, rest = key.partition(".")
        set_path(data, _wire_name(model, head) + dot + rest, value)
    return data


def _set_parameter_values(data: dict[str, Any], values: Mapping[str, Any]) -> None:
    """``parameters={"companyName": "Contoso"}``: set values by externalId, ordering first."""
    bag = data.get("parameters")
    if isinstance(bag, Mapping):
        groups = [bag[name] for name in ("ordering", "order", "fulfillment") if name in bag]
    else:
        groups = [bag]
    parameters = [p for group in groups if isinstance(group, list) for p in group]
    for external_id, value in values.items():
        for parameter in parameters:
            if isinstance(parameter, MutableMapping) and parameter.get("externalId") == external_id:
                if _is_remove(value):
                    parameter.pop("value", None)
                else:
                    parameter["value"] = copy.deepcopy(value)
                break
        else:
            known = [p.get("externalId") for p in parameters if isinstance(p, Mapping)]
            raise SampleError(
                f"No parameter with externalId {external_id!r} in this sample; it has"
                f" {', '.join(repr(k) for k in known) or 'none'}. To add one, pass the whole bag:"
                " parameters={'ordering': [...], 'fulfillment': [...]}."
            )


def _parameters(data: dict[str, Any], parameters: Mapping[str, Any] | None) -> None:
    if parameters is None:
        return
    if parameters and all(
        name in ("ordering", "order", "fulfillment") and isinstance(value, list)
        for name, value in parameters.items()
    ):
        data["parameters"] = copy.deepcopy(dict(parameters))
    else:
        _set_parameter_values(data, parameters)


# --- orders ------------------------------------------------------------------------------------


def _parameter(
    number: int,
    external_id: str,
    name: str,
    kind: str,
    value: Any,
    *,
    hidden: bool = False,
    required: bool = True,
    phase: str = "Order",
    **extra: Any,
) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "id": f"PAR-1111-1111-{number:04d}",
        "externalId": external_id,
        "name": name,
        "type": kind,
        "phase": phase,
    }
    parameter.update(extra)
    parameter["constraints"] = {"hidden": hidden, "required": required}
    parameter["value"] = value
    return parameter


def _order_parameters() -> dict[str, Any]:
    """The parameters of contract 2.6."""
    company = _parameter(
        1, "companyName", "Company Name", "SingleLineText", "Contoso Ltd", scope="Agreement"
    )
    company["constraints"]["readonly"] = False
    company["displayValue"] = "Contoso Ltd"
    agreement_type = _parameter(4, "agreementType", "Account type", "Choice", "New")
    agreement_type["displayValue"] = "New customer"
    customer_id = _parameter(
        101,
        "customerId",
        "Customer Id",
        "SingleLineText",
        None,
        hidden=True,
        required=False,
        phase="Fulfillment",
    )
    customer_id["constraints"]["readonly"] = True
    due_date = _parameter(102, "dueDate", "Due Date", "Date", None, phase="Fulfillment")
    del due_date["constraints"]
    return {
        "ordering": [
            company,
            _parameter(2, "address", "Address", "Address", dict(_ADDRESS)),
            _parameter(3, "contact", "Contact", "Contact", copy.deepcopy(_CONTACT)),
            agreement_type,
            _parameter(
                5,
                "membershipId",
                "Membership Id",
                "SingleLineText",
                "",
                hidden=True,
                required=False,
            ),
            _parameter(6, "threeYC", "3-year commitment", "Checkbox", ["Yes"], required=False),
        ],
        "fulfillment": [customer_id, due_date],
    }


def _item(item_id: str) -> dict[str, Any]:
    known = CATALOG.get(item_id)
    item: dict[str, Any] = {"id": item_id}
    if known is not None:
        item["name"] = known["name"]
        item["externalIds"] = {"vendor": known["vendor"]}
    return item


def _price(unit_pp: float, quantity: object, *, totals: bool) -> dict[str, Any]:
    price: dict[str, Any] = {"currency": "USD", "unitPP": unit_pp}
    if totals and isinstance(quantity, int | float) and not isinstance(quantity, bool):
        yearly = round(unit_pp * quantity, 5)
        price["PPxY"] = yearly
        price["PPxM"] = round(yearly / 12, 5)
    return price


class _OrderContext:
    def __init__(self, order_type: str, ids: _Ids, agreement_digits: str) -> None:
        self.order_type = order_type
        self.ids = ids
        self.agreement_digits = agreement_digits
        self.line_number = 0

    def line_id(self) -> str:
        self.line_number += 1
        return f"ALI-{self.agreement_digits}-{self.line_number:04d}"

    def subscription(self, subscription_id: str | None = None) -> dict[str, Any]:
        return {
            "id": subscription_id or f"SUB-{self.ids.digits(3)}",
            "name": "Subscription for Acme Pro",
            "status": "Active",
        }


_SHORT_LINE_KEYS: Final = frozenset(
    {"item_id", "quantity", "old_quantity", "unit_pp", "id", "subscription_id"}
)
_WIRE_LINE_KEYS: Final = frozenset({"item", "oldQuantity", "price", "subscription", "asset"})


def _line(spec: Mapping[str, Any], ctx: _OrderContext, *, totals: bool) -> dict[str, Any]:
    """A line from the short form, shaped like the order type's lines (contract 2.3, 2.7)."""
    unknown = set(spec) - _SHORT_LINE_KEYS
    if unknown:
        raise SampleError(
            f"Line keys {sorted(unknown)} are neither the short form ({sorted(_SHORT_LINE_KEYS)})"
            " nor a wire line (with 'item', 'oldQuantity', 'price', ...); give one or the other."
        )
    kind = ctx.order_type
    item_id = str(spec.get("item_id", _FIRST_ITEM))
    if kind == "Termination":
        old_quantity, quantity = spec.get("old_quantity", 10), spec.get("quantity", 0)
    elif kind == "Configuration":
        old_quantity = spec.get("old_quantity", spec.get("quantity", 10))
        quantity = spec.get("quantity", old_quantity)
    else:
        old_quantity, quantity = spec.get("old_quantity", 0), spec.get("quantity", 1)
    # A line of an existing subscription has an id and a subscription; a new one (0 -> N) has
    # neither in a Change order, and an id in a Purchase (contract 2.6, 2.7).
    existing = kind != "Purchase" and (
        bool(old_quantity) or "id" in spec or "subscription_id" in spec
    )
    line: dict[str, Any] = {}
    line_id = (
        spec["id"] if "id" in spec else (ctx.line_id() if kind == "Purchase" or existing else None)
    )
    if line_id is not None:
        line["id"] = line_id
    line["item"] = _item(item_id)
    if existing:
        line["subscription"] = ctx.subscription(spec.get("subscription_id"))
    line["oldQuantity"] = old_quantity
    line["quantity"] = quantity
    known = CATALOG.get(item_id)
    unit_pp = spec.get("unit_pp", known["unitPP"] if known else None)
    if unit_pp is not None and ("unit_pp" in spec or kind in ("Purchase", "Change")):
        line["price"] = _price(float(unit_pp), quantity, totals=totals)
    return line


def _lines(
    specs: Iterable[Mapping[str, Any]], ctx: _OrderContext, *, totals: bool
) -> list[dict[str, Any]]:
    lines = []
    for spec in specs:
        if not isinstance(spec, Mapping):
            raise SampleError(f"Each line must be a dict, not {type(spec).__name__}.")
        wire = set(spec) & _WIRE_LINE_KEYS
        if wire and set(spec) & (_SHORT_LINE_KEYS - {"id", "quantity"}):
            raise SampleError(
                "A line mixes wire keys and short-form keys; give"
                " {'item_id': ..., 'quantity': ...} or a wire line {'item': {...}, ...}."
            )
        if wire:
            lines.append(copy.deepcopy(dict(spec)))
        else:
            lines.append(_line(spec, ctx, totals=totals))
    return lines


_DEFAULT_LINES: Final[Mapping[str, Sequence[Mapping[str, Any]]]] = {
    "Purchase": ({"item_id": _FIRST_ITEM, "quantity": 5},),
    "Change": (
        {"item_id": _FIRST_ITEM, "old_quantity": 10, "quantity": 15},
        {"item_id": _SECOND_ITEM, "quantity": 1},
    ),
    "Termination": ({"item_id": _FIRST_ITEM, "old_quantity": 10, "quantity": 0},),
    "Configuration": ({"item_id": _FIRST_ITEM, "old_quantity": 10, "quantity": 10},),
}


def _order_price(lines: Sequence[Any]) -> dict[str, Any] | None:
    yearly = 0.0
    priced = False
    for line in lines:
        price = line.get("price") if isinstance(line, Mapping) else None
        if isinstance(price, Mapping) and isinstance(price.get("PPxY"), int | float):
            yearly += price["PPxY"]
            priced = True
    if not priced:
        return None
    return {"currency": "USD", "PPxY": round(yearly, 5), "PPxM": round(yearly / 12, 5)}


def order(
    type: str = "Purchase",
    status: str = "Draft",
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    minimal: bool = False,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An Order as the platform sends it: the full body of contract 2.6 (``minimal=True``: the
    short one of 2.5), with the lines of the order ``type`` (2.7).

    A Purchase creates its agreement, so both share their digits (``ORD-3156-8071-4437``,
    ``AGR-3156-8071-4437``); other types change an older agreement. Lines have ids
    ``ALI-<agreement digits>-NNNN``.

    >>> change = order("Change", seed=7)
    >>> [(line.get("id"), line["oldQuantity"], line["quantity"]) for line in change["lines"]]
    [('ALI-1791-2186-9779-0001', 10, 15), (None, 0, 1)]
    >>> order(minimal=True, lines=[{"quantity": 2}], seed=7)["lines"][0]["price"]
    {'currency': 'USD', 'unitPP': 100.0}
    """
    ids = _Ids(seed)
    order_digits = ids.digits(3)
    agreement_digits = order_digits if type == "Purchase" else ids.digits(3)
    ctx = _OrderContext(type, ids, agreement_digits)
    order_id = f"ORD-{order_digits}"
    agreement = {"id": f"AGR-{agreement_digits}", "name": "Acme Cloud Suite for Contoso"}
    specs = _DEFAULT_LINES.get(type, _DEFAULT_LINES["Purchase"]) if lines is None else lines
    built = _lines(specs, ctx, totals=not minimal)
    if minimal:
        for line in built:
            if lines is None:
                line.pop("id", None)  # the 2.5 example: a purchase line before it is saved
        data: dict[str, Any] = {
            "id": order_id,
            "type": type,
            "status": status,
            "agreement": agreement,
            "product": {"id": PRODUCT_ID, "name": "Acme Cloud Suite"},
            "lines": built,
            "parameters": {
                "ordering": [
                    {
                        "id": "PAR-1111-1111-0001",
                        "externalId": "companyName",
                        "name": "Company name",
                        "type": "SingleLineText",
                        "phase": "Order",
                        "constraints": {"hidden": False, "required": True, "readonly": False},
                        "value": "Contoso Ltd",
                    }
                ],
                "fulfillment": [],
            },
        }
    else:
        data = {
            "id": order_id,
            "href": f"/commerce/orders/{order_id}",
            "revision": 3,
            "type": type,
            "status": status,
            "notes": "Licences for the accounting team",
            "externalIds": {"client": "PO-2026-0042"},
            "agreement": {
                **agreement,
                "status": "Draft" if type == "Purchase" else "Active",
                "licensee": {"id": "LCE-2222-3333-4444", "name": "Contoso Ltd"},
            },
            "authorization": {
                "id": "AUT-1234-4567",
                "name": "Acme US",
                "currency": "USD",
                "externalIds": {"operations": "123456789012"},
            },
            "listing": {"id": "LST-9401-9279"},
            "product": {
                "id": PRODUCT_ID,
                "name": "Acme Cloud Suite",
                "icon": f"/v1/catalog/products/{PRODUCT_ID}/icon",
                "externalIds": {"operations": "acme-erp"},
            },
            "client": {
                "id": "ACC-9121-8944",
                "name": "Contoso",
                "icon": "/static/ACC-9121-8944/icon.png",
            },
            "licensee": {"id": "LCE-2222-3333-4444", "name": "Contoso Ltd"},
            "buyer": {
                "id": "BUY-3731-7971",
                "name": "Contoso Ltd",
                "icon": "/static/BUY-3731-7971/icon.png",
                "address": dict(_ADDRESS),
                "contact": copy.deepcopy(_CONTACT),
            },
            "seller": {
                "id": "SEL-9121-8944",
                "name": "SoftwareOne US",
                "icon": "/static/SEL-9121-8944/icon.png",
                "address": {"country": "US"},
            },
            "vendor": {"id": "ACC-1234-5678", "name": "Acme Inc"},
            "template": {"id": "TPL-1234-1234-4321", "name": "Default Template"},
        }
        price = _order_price(built)
        if price is not None:
            data["price"] = price
        data.update(
            {
                "lines": built,
                "subscriptions": [],
                "assets": [],
                "parameters": _order_parameters(),
                "termsAndConditions": [
                    {
                        "id": "TCS-3159-1891-0980-8679",
                        "name": "Acme Terms of Service",
                        "accepted": _CREATED,
                        "acceptedBy": dict(_JANE),
                    }
                ],
                "certificates": [],
                "audit": {
                    "created": {"at": _CREATED, "by": dict(_JANE)},
                    "updated": {"at": _UPDATED, "by": dict(_JANE)},
                },
            }
        )
    _parameters(data, parameters)
    return _apply(data, overrides, Order)


def purchase_order(
    status: str = "Draft",
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    minimal: bool = False,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Purchase order (ValidatePurchaseOrderDraft; ``status="Querying"`` for
    ValidatePurchaseOrderQuerying; SelectOrderLines gets the same body).

    >>> purchase_order(lines=[{"item_id": "ITM-1111-1111-0002", "quantity": 3}])["price"]
    {'currency': 'USD', 'PPxY': 60.0, 'PPxM': 5.0}
    """
    return order(
        "Purchase",
        status,
        lines=lines,
        parameters=parameters,
        minimal=minimal,
        seed=seed,
        **overrides,
    )


def change_order(
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Change order in Draft (ValidateChangeOrderDraft): by default one line upsized 10 -> 15
    and one new add-on line 0 -> 1 (contract 2.7).

    >>> lines = change_order(lines=[{"old_quantity": 10, "quantity": 4}], seed=3)["lines"]
    >>> lines[0]["subscription"]["status"], lines[0]["quantity"]
    ('Active', 4)
    """
    return order("Change", "Draft", lines=lines, parameters=parameters, seed=seed, **overrides)


def termination_order(
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Termination order (ValidateTerminateOrder): a subscription's line 10 -> 0.

    >>> termination_order()["lines"][0]["quantity"]
    0
    """
    return order("Termination", "Draft", lines=lines, parameters=parameters, seed=seed, **overrides)


def configuration_order(
    *,
    lines: Iterable[Mapping[str, Any]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Configuration order in Draft (ValidateConfigurationOrderDraft): quantities unchanged.

    >>> line = configuration_order()["lines"][0]
    >>> line["oldQuantity"] == line["quantity"]
    True
    """
    return order(
        "Configuration", "Draft", lines=lines, parameters=parameters, seed=seed, **overrides
    )


# --- the other objects -------------------------------------------------------------------------


def account(*, seed: int | str | None = None, **overrides: Any) -> dict[str, Any]:
    """An Account (ValidateAccount; contract 2.8, which doubts the platform ever sends it).

    >>> account(name="Contoso", seed=1)["id"]
    'ACC-3201-2033'
    """
    data: dict[str, Any] = {
        "id": f"ACC-{_Ids(seed).digits(2)}",
        "type": "Client",
        "status": "Enabled",
        "name": "Stark industries",
        "description": "Stark industries procurement team.",
        "externalId": "WW-1001111",
        "serviceLevel": "Express",
        "address": {
            "addressLine1": "123 Main Street",
            "addressLine2": "Apt 4B",
            "postCode": "12345",
            "city": "Cityville",
            "state": "S",
            "country": "ST",
        },
        "technicalSupportEmail": "jane@doe.com",
        "website": "https://example.com",
        "eligibility": {"client": True, "partner": False},
    }
    return _apply(data, overrides, Account)


def request(
    *,
    shape: str = "documented",
    parameters: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A Request (ValidateRequest; deprecated by the platform, contract 2.9) in the documented
    shape (``parameters.ordering``, ``error {id, message}``) or ``shape="openapi"`` (a list of
    parameters with ``errorCode``/``errorMessage``).

    >>> request(parameters={"tenantDomain": "fabrikam"})["parameters"]["ordering"][0]["value"]
    'fabrikam'
    >>> request(shape="openapi")["parameters"][0]["externalId"]
    'tenantDomain'
    """
    request_id = f"REQ-{_Ids(seed).digits(2)}"
    product = {
        "id": PRODUCT_ID,
        "name": "Acme Cloud Suite",
        "icon": f"/static/{PRODUCT_ID}/logo.png",
    }
    if shape == "documented":
        data: dict[str, Any] = {
            "id": request_id,
            "status": "Querying",
            "client": {"id": "ACC-1234-4444", "name": "Stark-industries"},
            "vendor": {"id": "ACC-1234-1111", "name": "Acme Inc"},
            "requester": {"id": "USR-1234-4444", "name": "John Smith"},
            "assignee": {"id": "USR-1234-1111", "name": "Santa Claus"},
            "product": product,
            "externalIds": {"client": "12345678", "operations": "07bf766b-c767-4293-9ab3"},
            "parameters": {
                "ordering": [_parameter(1, "tenantDomain", "Tenant domain", "Subdomain", "contoso")]
            },
            "audit": {"created": {"at": _CREATED, "by": {"id": "USR-1234-4444"}}},
        }
    elif shape == "openapi":
        data = {
            "id": request_id,
            "name": "Tenant onboarding",
            "status": "Querying",
            "externalId": "EXT-42",
            "from": {"id": "ACC-1234-4444", "name": "Stark-industries"},
            "to": {"id": "ACC-1234-1111", "name": "Acme Inc"},
            "requester": {"id": "USR-1234-4444", "name": "John Smith"},
            "product": product,
            "parameters": [
                {
                    "id": "RPA-0001",
                    "externalId": "tenantDomain",
                    "title": "Tenant domain",
                    "description": "The tenant's primary domain",
                    "value": "contoso",
                    "displayOrder": 1,
                    "constraints": {"isReadonly": False, "isOptional": False},
                }
            ],
            "messages": [],
        }
    else:
        raise SampleError(f"shape must be 'documented' or 'openapi', not {shape!r}.")
    _parameters(data, parameters)
    return _apply(data, overrides, Request)


def enrollment(
    type: str = "New",
    status: str = "Draft",
    *,
    parameters: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An Enrollment (contract 2.11). The webhook types are told apart by ``type`` (``Change``:
    re-enrollment) and ``status`` (``Querying``). ``Draft`` for the draft webhooks is an
    assumption: the OAS lists no enrollment status for a draft.

    >>> enrollment("Change", "Querying", parameters={"partner_id": "7654321"}, seed=2)["id"]
    'ENR-1926-2500'
    """
    data: dict[str, Any] = {
        "id": f"ENR-{_Ids(seed).digits(2)}",
        "type": type,
        "status": status,
        "applicableTo": "Buyer",
        "program": {"id": "PRG-1234-1234", "name": "Acme Partner Program"},
        "buyer": {"id": "BUY-3731-7971", "name": "Contoso Ltd"},
        "eligibility": {"client": True, "partner": False},
        "parameters": {
            "ordering": [
                {
                    "id": "PAR-1234-1234-0001",
                    "externalId": "partner_id",
                    "name": "Partner Number",
                    "type": "SingleLineText",
                    "phase": "Order",
                    "constraints": {"hidden": False, "required": True, "readonly": False},
                    "value": "1234567",
                }
            ],
            "fulfillment": [],
        },
    }
    _parameters(data, parameters)
    return _apply(data, overrides, Enrollment)


def answer(*, seed: int | str | None = None, **overrides: Any) -> dict[str, Any]:
    """A ValidateAnswer body. No source documents it (contract 5); this is a guess with an id,
    the form and the answers, enough for a handler that sets ``error``.

    >>> sorted(answer())
    ['answers', 'form', 'id']
    """
    data: dict[str, Any] = {
        "id": f"ANS-{_Ids(seed).digits(2)}",
        "form": {"id": "FRM-1111-1111", "name": "Support request"},
        "answers": [{"externalId": "description", "value": "Please extend the trial."}],
    }
    return _apply(data, overrides, ValidateAnswer)


def with_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any], /) -> dict[str, Any]:
    """A copy of ``data`` with ``overrides`` applied by the factories' rules (snake_case or wire
    names, dotted paths, :data:`REMOVE`). The same as passing them as keywords, in a form type
    checkers accept (mypy refuses ``**{"lines.0.quantity": 3}`` against typed parameters).

    >>> order = with_overrides(purchase_order(), {"lines.0.quantity": 3, "external_ids": {}})
    >>> order["lines"][0]["quantity"], order["externalIds"]
    (3, {})
    """
    kind = object_type_for_id(str(data.get("id", "")))
    model = MODEL_BY_OBJECT_TYPE[kind] if kind is not None else ValidateAnswer
    return _apply(copy.deepcopy(dict(data)), overrides, model)


# --- by webhook type and by name ---------------------------------------------------------------


def for_type(webhook_type: str, /, **overrides: Any) -> dict[str, Any]:
    """The sample body for ``webhook_type`` (either casing); raises
    :class:`receiver.errors.UnknownWebhookTypeError` for a type the platform does not have.

    >>> for_type("validateTerminateOrder")["type"]
    'Termination'
    """
    kind = parse_known_webhook_type(webhook_type)
    return _BY_TYPE[kind](**overrides)


class SampleInfo(NamedTuple):
    """One named sample: its name, the webhook type it is the body of, and what it is."""

    name: str
    webhook_type: WebhookType
    description: str


_Factory = Callable[..., dict[str, Any]]


def _with(factory: _Factory, *args: Any, **fixed: Any) -> _Factory:
    def make(**overrides: Any) -> dict[str, Any]:
        return factory(*args, **fixed, **overrides)

    return make


_REGISTRY: Final[dict[str, tuple[SampleInfo, _Factory]]] = {
    info.name: (info, factory)
    for info, factory in [
        (
            SampleInfo(
                "purchase-order",
                VALIDATE_PURCHASE_ORDER_DRAFT,
                "A Purchase order in Draft, the full body a vendor sees (contract 2.6).",
            ),
            _with(purchase_order),
        ),
        (
            SampleInfo(
                "purchase-order-minimal",
                VALIDATE_PURCHASE_ORDER_DRAFT,
                "The minimal Purchase draft: one line without an id, one parameter (2.5).",
            ),
            _with(purchase_order, minimal=True),
        ),
        (
            SampleInfo(
                "purchase-order-querying",
                VALIDATE_PURCHASE_ORDER_QUERYING,
                "A Purchase order in Querying.",
            ),
            _with(purchase_order, "Querying"),
        ),
        (
            SampleInfo(
                "change-order",
                VALIDATE_CHANGE_ORDER_DRAFT,
                "A Change order: one line upsized 10 -> 15, one new add-on line (2.7).",
            ),
            _with(change_order),
        ),
        (
            SampleInfo(
                "termination-order",
                VALIDATE_TERMINATE_ORDER,
                "A Termination order: a subscription's line 10 -> 0 (2.7).",
            ),
            _with(termination_order),
        ),
        (
            SampleInfo(
                "configuration-order",
                VALIDATE_CONFIGURATION_ORDER_DRAFT,
                "A Configuration order: quantities unchanged (2.7).",
            ),
            _with(configuration_order),
        ),
        (
            SampleInfo(
                "select-order-lines",
                SELECT_ORDER_LINES,
                "A Purchase draft, as SelectOrderLines would send it (body undocumented, 2.10).",
            ),
            _with(purchase_order),
        ),
        (
            SampleInfo("account", VALIDATE_ACCOUNT, "An Account (2.8)."),
            _with(account),
        ),
        (
            SampleInfo(
                "request",
                VALIDATE_REQUEST,
                "A Request in the documented shape: parameters.ordering, error {id, message}.",
            ),
            _with(request),
        ),
        (
            SampleInfo(
                "request-openapi",
                VALIDATE_REQUEST,
                "A Request in the OpenAPI shape: a parameter list, errorCode/errorMessage.",
            ),
            _with(request, shape="openapi"),
        ),
        (
            SampleInfo(
                "enrollment",
                VALIDATE_ENROLLMENT_DRAFT,
                "A new Enrollment in Draft (2.11).",
            ),
            _with(enrollment),
        ),
        (
            SampleInfo(
                "enrollment-querying",
                VALIDATE_ENROLLMENT_QUERYING,
                "A new Enrollment in Querying (2.11).",
            ),
            _with(enrollment, "New", "Querying"),
        ),
        (
            SampleInfo(
                "re-enrollment",
                VALIDATE_RE_ENROLLMENT,
                "A re-enrollment: an Enrollment of type Change, in Draft.",
            ),
            _with(enrollment, "Change"),
        ),
        (
            SampleInfo(
                "re-enrollment-querying",
                VALIDATE_RE_ENROLLMENT_QUERYING,
                "A re-enrollment in Querying.",
            ),
            _with(enrollment, "Change", "Querying"),
        ),
        (
            SampleInfo(
                "answer",
                VALIDATE_ANSWER,
                "A ValidateAnswer body (undocumented; an id, the form and the answers).",
            ),
            _with(answer),
        ),
    ]
}

NAMES: Final[tuple[str, ...]] = tuple(_REGISTRY)
"""The named samples, in a stable order. The names never change once released."""

# The first sample of each webhook type is its default.
_BY_TYPE: Final[dict[WebhookType, _Factory]] = {}
for _info, _factory in _REGISTRY.values():
    _BY_TYPE.setdefault(_info.webhook_type, _factory)


def _lookup(name: str) -> tuple[SampleInfo, _Factory]:
    entry = _REGISTRY.get(name.strip().lower().replace("_", "-"))
    if entry is None:
        raise KeyError(f"No sample named {name!r}. Named samples: {', '.join(NAMES)}.")
    return entry


def info(name: str, /) -> SampleInfo:
    """What the sample ``name`` is (``snake_case`` spellings work too).

    >>> info("change_order").webhook_type
    'ValidateChangeOrderDraft'
    """
    return _lookup(name)[0]


def get(name: str, /, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of the sample ``name`` (see :data:`NAMES`), with overrides.

    >>> get("re-enrollment", seed=1)["type"]
    'Change'
    """
    return _lookup(name)[1](**overrides)


def model_for(name: str, /) -> type[WireModel]:
    """The model class a sample parses into (``Order`` for ``purchase-order``)."""
    kind = info(name).webhook_type.object_type
    assert kind is not None  # every registered type is a known one
    return MODEL_BY_OBJECT_TYPE[kind]
