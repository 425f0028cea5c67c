"""Webhook types and object types: open string enums that accept both casings.

The platform spells types in PascalCase on the wire (``ValidatePurchaseOrderDraft``) while its
public docs use lowerCamelCase (``validatePurchaseOrderDraft``); we accept both and always emit
PascalCase. Unknown values are kept as they are, so a new platform type never breaks a parse.

A type name a person types (``add_handler``, ``receiver send --type``, ``receiver new --types``)
goes through :func:`parse_known_webhook_type`, the one rule for those: any letter case,
PascalCase, lowerCamelCase, the decorator's snake_case or kebab-case, with spaces around it.
Its error suggests the names :func:`close_webhook_types` finds, wherever it is raised.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final


class WebhookType(str):
    """A webhook type name, normalized to PascalCase.

    >>> WebhookType("validatePurchaseOrderDraft")
    'ValidatePurchaseOrderDraft'
    >>> WebhookType("validatePurchaseOrderDraft").object_type
    'Order'
    """

    __slots__ = ()

    def __new__(cls, value: str) -> WebhookType:
        return super().__new__(cls, pascal_case(value))

    @property
    def known(self) -> bool:
        return self in OBJECT_TYPE_BY_WEBHOOK_TYPE

    @property
    def object_type(self) -> ObjectType | None:
        """The kind of object the platform sends for this type, or None when unknown."""
        return OBJECT_TYPE_BY_WEBHOOK_TYPE.get(self)

    @property
    def snake_name(self) -> str:
        """The name of the decorator for this type (``validate_purchase_order_draft``)."""
        out: list[str] = []
        for index, char in enumerate(self):
            if char.isupper() and index:
                out.append("_")
            out.append(char.lower())
        return "".join(out)


class ObjectType(str):
    """The object kind a webhook carries: ``Order``, ``Account``, ``Request``, ``Enrollment``,
    ``Answer``. Lowercase input (``order``, seen in the public docs) is normalized."""

    __slots__ = ()

    def __new__(cls, value: str) -> ObjectType:
        return super().__new__(cls, pascal_case(value))


def pascal_case(value: str) -> str:
    """``validateX`` -> ``ValidateX``; anything else unchanged."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value[:1].upper() + value[1:]


ORDER: Final = ObjectType("Order")
ACCOUNT: Final = ObjectType("Account")
REQUEST: Final = ObjectType("Request")
ENROLLMENT: Final = ObjectType("Enrollment")
ANSWER: Final = ObjectType("Answer")

VALIDATE_PURCHASE_ORDER_DRAFT: Final = WebhookType("ValidatePurchaseOrderDraft")
VALIDATE_PURCHASE_ORDER_QUERYING: Final = WebhookType("ValidatePurchaseOrderQuerying")
VALIDATE_CHANGE_ORDER_DRAFT: Final = WebhookType("ValidateChangeOrderDraft")
VALIDATE_TERMINATE_ORDER: Final = WebhookType("ValidateTerminateOrder")
VALIDATE_CONFIGURATION_ORDER_DRAFT: Final = WebhookType("ValidateConfigurationOrderDraft")
SELECT_ORDER_LINES: Final = WebhookType("SelectOrderLines")
VALIDATE_REQUEST: Final = WebhookType("ValidateRequest")
VALIDATE_ACCOUNT: Final = WebhookType("ValidateAccount")
VALIDATE_ENROLLMENT_DRAFT: Final = WebhookType("ValidateEnrollmentDraft")
VALIDATE_ENROLLMENT_QUERYING: Final = WebhookType("ValidateEnrollmentQuerying")
VALIDATE_RE_ENROLLMENT: Final = WebhookType("ValidateReEnrollment")
VALIDATE_RE_ENROLLMENT_QUERYING: Final = WebhookType("ValidateReEnrollmentQuerying")
VALIDATE_ANSWER: Final = WebhookType("ValidateAnswer")

# platform.md §4.4, §5, §2.8 and §2.9 (the last two for the types the canon calls unreachable).
OBJECT_TYPE_BY_WEBHOOK_TYPE: Final[dict[str, ObjectType]] = {
    VALIDATE_PURCHASE_ORDER_DRAFT: ORDER,
    VALIDATE_PURCHASE_ORDER_QUERYING: ORDER,
    VALIDATE_CHANGE_ORDER_DRAFT: ORDER,
    VALIDATE_TERMINATE_ORDER: ORDER,
    VALIDATE_CONFIGURATION_ORDER_DRAFT: ORDER,
    SELECT_ORDER_LINES: ORDER,
    VALIDATE_REQUEST: REQUEST,
    VALIDATE_ACCOUNT: ACCOUNT,
    VALIDATE_ENROLLMENT_DRAFT: ENROLLMENT,
    VALIDATE_ENROLLMENT_QUERYING: ENROLLMENT,
    VALIDATE_RE_ENROLLMENT: ENROLLMENT,
    VALIDATE_RE_ENROLLMENT_QUERYING: ENROLLMENT,
    VALIDATE_ANSWER: ANSWER,
}

KNOWN_WEBHOOK_TYPES: Final[tuple[WebhookType, ...]] = tuple(
    WebhookType(name) for name in OBJECT_TYPE_BY_WEBHOOK_TYPE
)

# The criteria key every webhook of a family must carry (platform.md §4.2.1).
ANCHOR_KEY_BY_OBJECT_TYPE: Final[dict[str, str]] = {
    ORDER: "product.id",
    ENROLLMENT: "program.id",
    ANSWER: "form.id",
    ACCOUNT: "product.id",
    REQUEST: "product.id",
}


def anchor_key(webhook_type: WebhookType) -> str:
    """The criteria key that scopes a webhook of this type to one object (platform.md §4.2.1);
    a type we do not know is taken as ValidateAnswer, as the simulator does (§4.4).

    >>> anchor_key(WebhookType("ValidateEnrollmentDraft")), anchor_key(WebhookType("Nope"))
    ('program.id', 'form.id')
    """
    return ANCHOR_KEY_BY_OBJECT_TYPE[webhook_type.object_type or ANSWER]


# (order type, order status) -> webhook type, for inferring the type of a call from its body.
ORDER_WEBHOOK_TYPE_BY_TYPE_STATUS: Final[dict[tuple[str, str], WebhookType]] = {
    ("Purchase", "Draft"): VALIDATE_PURCHASE_ORDER_DRAFT,
    ("Purchase", "Querying"): VALIDATE_PURCHASE_ORDER_QUERYING,
    ("Change", "Draft"): VALIDATE_CHANGE_ORDER_DRAFT,
    ("Termination", "Draft"): VALIDATE_TERMINATE_ORDER,
    ("Configuration", "Draft"): VALIDATE_CONFIGURATION_ORDER_DRAFT,
}

# The types whose body is a Purchase order, like SelectOrderLines' (platform.md §2.2, §2.10).
PURCHASE_WEBHOOK_TYPES: Final[frozenset[WebhookType]] = frozenset(
    {VALIDATE_PURCHASE_ORDER_DRAFT, VALIDATE_PURCHASE_ORDER_QUERYING}
)

# Object id prefixes (platform.md §2.4, §2.8, §2.9, §2.11).
OBJECT_TYPE_BY_ID_PREFIX: Final[dict[str, ObjectType]] = {
    "ORD-": ORDER,
    "ACC-": ACCOUNT,
    "REQ-": REQUEST,
    "ENR-": ENROLLMENT,
}


def _type_key(value: str) -> str:
    """The spelling-free form of a type name: ``validate_purchase_order_draft``,
    ``validatePurchaseOrderDraft`` and ``ValidatePurchaseOrderDraft`` are one type."""
    return re.sub(r"[-_\s]", "", value).lower()


# No two known types share a key (tests/test_types.py checks it), so the loose spellings
# cannot pick the wrong type.
_KNOWN_BY_KEY: Final[dict[str, WebhookType]] = {
    _type_key(kind): kind for kind in KNOWN_WEBHOOK_TYPES
}


def parse_known_webhook_type(value: str) -> WebhookType:
    """The known webhook type ``value`` names, in PascalCase; UnknownWebhookTypeError (a
    ValueError) suggests close names. Any letter case, PascalCase, lowerCamelCase, snake_case
    (the decorator's name) and kebab-case work, with spaces around the name.

    >>> parse_known_webhook_type("validateChangeOrderDraft")
    'ValidateChangeOrderDraft'
    >>> parse_known_webhook_type(" validate_change_order_draft ")
    'ValidateChangeOrderDraft'
    """
    from receiver.errors import UnknownWebhookTypeError

    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    known = _KNOWN_BY_KEY.get(_type_key(value))
    if known is None:
        raise UnknownWebhookTypeError(value, close_webhook_types(value))
    return known


def close_webhook_types(value: str) -> list[WebhookType]:
    """The known types closest to ``value``: the best match and any about as close, at most
    three, none when nothing is close. The one "Did you mean ...?" rule for type names.

    Compared without separators and case, and without the ``validate`` every type but one
    starts with, so that a typo in ``ValidateTerminateOrder`` does not also suggest every other
    ``Validate...Order...``.

    >>> close_webhook_types("validate_terminate_ordr")
    ['ValidateTerminateOrder']
    """

    def core(key: str) -> str:
        return key.removeprefix("validate")

    wanted = core(_type_key(value))
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, core(key)).ratio(), key) for key in _KNOWN_BY_KEY),
        reverse=True,
    )
    best = scored[0][0]
    if best < 0.6:
        return []
    return [_KNOWN_BY_KEY[key] for ratio, key in scored[:3] if ratio >= best - 0.05]


def suggestions(value: str, choices: Iterable[str]) -> list[str]:
    """Close matches for ``value`` among ``choices``, case-insensitively (for names other than
    webhook types, e.g. the samples'; types use :func:`close_webhook_types`)."""
    by_lower = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.6)
    return [by_lower[match] for match in matches]


_ENROLLMENT_TYPE_BY_CHANGE_QUERYING: Final[dict[tuple[bool, bool], WebhookType]] = {
    (False, False): VALIDATE_ENROLLMENT_DRAFT,
    (False, True): VALIDATE_ENROLLMENT_QUERYING,
    (True, False): VALIDATE_RE_ENROLLMENT,
    (True, True): VALIDATE_RE_ENROLLMENT_QUERYING,
}


def _text_field(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    return pascal_case(value) if isinstance(value, str) else ""


def candidate_webhook_types(kind: str, obj: Mapping[str, Any]) -> list[list[WebhookType]]:
    """The webhook types an object of ``kind`` can come with, in tiers (most specific first).

    An Order goes by ``type`` + ``status`` (platform.md §2.2); SelectOrderLines also takes
    Purchase orders, its status being undocumented (platform.md §2.10), as a second tier. An
    Enrollment goes by ``type`` (Change: re-enrollment) and ``status`` (Querying), an Account
    to ValidateAccount, a Request to ValidateRequest. The receiver treats all tiers alike (two
    registered handlers in them is an ambiguity); the simulator tries the tiers in order.

    >>> [str(t) for tier in candidate_webhook_types("Order", {"type": "Purchase",
    ...     "status": "Draft"}) for t in tier]
    ['ValidatePurchaseOrderDraft', 'SelectOrderLines']
    """
    if kind == ORDER:
        order_type, status = _text_field(obj, "type"), _text_field(obj, "status")
        tiers: list[list[WebhookType]] = []
        specific = ORDER_WEBHOOK_TYPE_BY_TYPE_STATUS.get((order_type, status))
        if specific is not None:
            tiers.append([specific])
        if order_type == "Purchase":
            tiers.append([SELECT_ORDER_LINES])
        return tiers
    if kind == ENROLLMENT:
        key = (_text_field(obj, "type") == "Change", _text_field(obj, "status") == "Querying")
        return [[_ENROLLMENT_TYPE_BY_CHANGE_QUERYING[key]]]
    if kind == ACCOUNT:
        return [[VALIDATE_ACCOUNT]]
    if kind == REQUEST:
        return [[VALIDATE_REQUEST]]
    return []


def object_type_for_id(object_id: str) -> ObjectType | None:
    """The object kind an id prefix says (``ORD-...`` -> Order), or None."""
    return OBJECT_TYPE_BY_ID_PREFIX.get(object_id[:4].upper())
