"""Typed, lenient models of what the platform sends: parse, change, answer, round-trip.

>>> from receiver.models import Order
>>> order = Order.from_json(b'{"id": "ORD-1", "revision": "3", "surprise": {"x": 1}}')
>>> order.set_error("E1", "No.").to_dict()
{'id': 'ORD-1', 'error': {'id': 'E1', 'message': 'No.'}, 'revision': '3', 'surprise': {'x': 1}}
"""

from __future__ import annotations

from typing import Final

from receiver.models._base import Lenient, LenientItem, WireModel
from receiver.models._object import ErrorObjectModel, ObjectModel
from receiver.models.account import Account, AccountExternalIds, AccountStatus, AccountType
from receiver.models.common import (
    Address,
    Audit,
    AuditEvent,
    Contact,
    Eligibility,
    ExternalIds,
    Meta,
    Party,
    PhoneNumber,
    Reference,
)
from receiver.models.enrollment import ApplicableTo, Enrollment, EnrollmentStatus, EnrollmentType
from receiver.models.form_answer import ValidateAnswer
from receiver.models.lines import Line, Price
from receiver.models.messages import MESSAGE_MAX_LENGTH, Message, check_message
from receiver.models.order import Order, OrderStatus, OrderType
from receiver.models.parameters import (
    Constraints,
    Parameter,
    ParameterBag,
    ParameterPhase,
    ParameterScope,
    ParameterType,
)
from receiver.models.request import (
    Request,
    RequestParameter,
    RequestParameterBag,
    RequestParameterConstraints,
)
from receiver.models.webhook import (
    HTTP_STATUS_NAMES,
    Call,
    Statistics,
    Webhook,
    WebhookStatus,
    http_status_code,
    http_status_name,
)
from receiver.types import ACCOUNT, ANSWER, ENROLLMENT, ORDER, REQUEST, ObjectType

MODEL_BY_OBJECT_TYPE: Final[dict[ObjectType, type[ObjectModel]]] = {
    ORDER: Order,
    ACCOUNT: Account,
    REQUEST: Request,
    ENROLLMENT: Enrollment,
    ANSWER: ValidateAnswer,
}
"""The model the receiver parses a body into, by the webhook's object type."""

__all__ = [
    "HTTP_STATUS_NAMES",
    "MESSAGE_MAX_LENGTH",
    "MODEL_BY_OBJECT_TYPE",
    "Account",
    "AccountExternalIds",
    "AccountStatus",
    "AccountType",
    "Address",
    "ApplicableTo",
    "Audit",
    "AuditEvent",
    "Call",
    "Constraints",
    "Contact",
    "Eligibility",
    "Enrollment",
    "EnrollmentStatus",
    "EnrollmentType",
    "ErrorObjectModel",
    "ExternalIds",
    "Lenient",
    "LenientItem",
    "Line",
    "Message",
    "Meta",
    "ObjectModel",
    "Order",
    "OrderStatus",
    "OrderType",
    "Parameter",
    "ParameterBag",
    "ParameterPhase",
    "ParameterScope",
    "ParameterType",
    "Party",
    "PhoneNumber",
    "Price",
    "Reference",
    "Request",
    "RequestParameter",
    "RequestParameterBag",
    "RequestParameterConstraints",
    "Statistics",
    "ValidateAnswer",
    "Webhook",
    "WebhookStatus",
    "WireModel",
    "check_message",
    "http_status_code",
    "http_status_name",
]
