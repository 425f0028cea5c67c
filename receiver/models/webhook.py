"""The platform's Webhook object (platform.md §4.3), its statistics and calls.

Used by the receiver's statistics and by the local platform simulator, so unlike the order
models it normalizes what the sources disagree on (platform.md §6) and dumps the OpenAPI form:

* ``status``, ``type`` and ``objectType`` in either casing -> PascalCase;
* ``criteria`` as a flat object or as ``[{key, value}]`` -> a flat object;
* ``httpStatusCode`` as a .NET name (``"OK"``), a number or a numeric string (``"200"``), or
  under the DOCS key ``status`` -> the .NET name;
* ``callTime``/``responseTime`` with or without a timezone (none means UTC);
* ``headers``/``response`` as strings (OpenAPI) or objects (DOCS), kept as they came.

>>> webhook = Webhook.from_dict({"id": "WBH-5433-8787", "status": "enabled",
...     "type": "validatePurchaseOrderDraft", "objectType": "order"})
>>> webhook.status, webhook.type, webhook.object_type
('Enabled', 'ValidatePurchaseOrderDraft', 'Order')
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Protocol, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
)
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from receiver.models._base import WireModel
from receiver.models.common import Audit, Meta, Reference
from receiver.types import ObjectType, WebhookType, pascal_case


class WebhookStatus(StrEnum):
    """Webhook statuses (OAS ``WebhookStatus``); the DOCS lowercase spelling is accepted."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"


# .NET System.Net.HttpStatusCode, as the OAS ``HttpStatusCode`` enum lists it.
HTTP_STATUS_NAMES: Final[dict[int, str]] = {
    100: "Continue",
    101: "SwitchingProtocols",
    102: "Processing",
    103: "EarlyHints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "NonAuthoritativeInformation",
    204: "NoContent",
    205: "ResetContent",
    206: "PartialContent",
    207: "MultiStatus",
    208: "AlreadyReported",
    226: "IMUsed",
    300: "MultipleChoices",
    301: "MovedPermanently",
    302: "Found",
    303: "SeeOther",
    304: "NotModified",
    305: "UseProxy",
    306: "Unused",
    307: "TemporaryRedirect",
    308: "PermanentRedirect",
    400: "BadRequest",
    401: "Unauthorized",
    402: "PaymentRequired",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    407: "ProxyAuthenticationRequired",
    408: "RequestTimeout",
    409: "Conflict",
    410: "Gone",
    411: "LengthRequired",
    412: "PreconditionFailed",
    413: "RequestEntityTooLarge",
    414: "RequestUriTooLong",
    415: "UnsupportedMediaType",
    416: "RequestedRangeNotSatisfiable",
    417: "ExpectationFailed",
    421: "MisdirectedRequest",
    422: "UnprocessableEntity",
    423: "Locked",
    424: "FailedDependency",
    426: "UpgradeRequired",
    428: "PreconditionRequired",
    429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge",
    451: "UnavailableForLegalReasons",
    500: "InternalServerError",
    501: "NotImplemented",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
    505: "HttpVersionNotSupported",
    506: "VariantAlsoNegotiates",
    507: "InsufficientStorage",
    508: "LoopDetected",
    510: "NotExtended",
    511: "NetworkAuthenticationRequired",
}
_CODE_BY_NAME: Final = {name.lower(): code for code, name in HTTP_STATUS_NAMES.items()}


def http_status_name(code: int) -> str:
    """The platform's name for an HTTP status: the .NET ``HttpStatusCode`` name.

    >>> http_status_name(200), http_status_name(504), http_status_name(599)
    ('OK', 'GatewayTimeout', '599')
    """
    return HTTP_STATUS_NAMES.get(code, str(code))


def http_status_code(value: str | int) -> int | None:
    """The number of a status given as a .NET name (any case) or a number; None if unknown.

    >>> http_status_code("Unauthorized"), http_status_code("200"), http_status_code("Nope")
    (401, 200, None)
    """
    if isinstance(value, int):
        return value
    text = value.strip()
    if text.isdigit():
        return int(text)
    return _CODE_BY_NAME.get(text.lower())


def _status_name(value: Any) -> Any:
    if isinstance(value, bool):
        return value  # let validation refuse it
    if isinstance(value, int):
        return http_status_name(value)
    if isinstance(value, str):
        code = http_status_code(value)
        return value if code is None else http_status_name(code)
    return value


def _as_utc(value: datetime) -> datetime:
    # DOCS examples carry no timezone; the platform's clock is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _flat_criteria(value: Any) -> Any:
    # The OAS Webhook schema says [{key, value}]; the platform and SDK5 use a flat object.
    if isinstance(value, list):
        return {
            item["key"]: item["value"]
            for item in value
            if isinstance(item, dict) and "key" in item and "value" in item
        }
    return value


class _Normalized:
    """``Annotated`` metadata: validate a string, then normalize it with ``function``."""

    def __init__(self, function: Callable[[str], str]) -> None:
        self.function = function

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return cs.nullable_schema(
            cs.no_info_after_validator_function(self.function, cs.str_schema())
        )


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class _Counts(Protocol):
    """The four counters of a webhook's statistics, wherever they are kept: this model, the
    receiver's per-webhook entry and the delta a process flushes (``receiver.stats``)."""

    total: int
    successes: int
    failures: int
    failures_since_last_success: int


def count_call(counts: _Counts, *, success: bool) -> None:
    """Count one call, the way the platform does (platform.md §4.3.1): a success resets
    ``failuresSinceLastSuccess``, a failure adds one to it. The one place this rule is written;
    whether a call is a success is the caller's (the receiver: it answered 2xx; the simulator:
    the vendor's answer could be applied)."""
    counts.total += 1
    if success:
        counts.successes += 1
        counts.failures_since_last_success = 0
    else:
        counts.failures += 1
        counts.failures_since_last_success += 1


def add_counts(counts: _Counts, later: _Counts) -> None:
    """Add ``later``, counted after every call in ``counts``, as if each of its calls had been
    counted here: when ``later`` saw a success, its own failures since then are the ones since
    the last success; otherwise all its failures add to them. (The Redis store's merge script
    does the same in Lua, ``receiver.store._MERGE``.)

    >>> counts, later = Statistics(), Statistics()
    >>> _ = counts.record(success=False).record(success=False)
    >>> _ = later.record(success=True).record(success=False)
    >>> add_counts(counts, later)
    >>> counts.to_dict()
    {'total': 4, 'successes': 1, 'failures': 3, 'failuresSinceLastSuccess': 1}
    """
    counts.total += later.total
    counts.successes += later.successes
    counts.failures += later.failures
    if later.successes:
        counts.failures_since_last_success = later.failures_since_last_success
    else:
        counts.failures_since_last_success += later.failures


class Statistics(WireModel):
    """Call counters of a webhook (OAS ``WebhookStatistics``); always dumped complete.

    >>> stats = Statistics()
    >>> stats.record(success=False).record(success=True).to_dict()
    {'total': 2, 'successes': 1, 'failures': 1, 'failuresSinceLastSuccess': 0}
    """

    total: int = 0
    successes: int = 0
    failures: int = 0
    failures_since_last_success: int = 0

    def model_post_init(self, context: Any, /) -> None:
        # Counters are never "absent": a zero is a count.
        self.__pydantic_fields_set__.update(type(self).model_fields)

    def record(self, *, success: bool) -> Self:
        """Count one call, the way the platform does (:func:`count_call`)."""
        count_call(self, success=success)
        return self


class Call(WireModel):
    """One call of a webhook (OAS ``WebhookCall``): ``lastCall``, ``lastSuccess``, ``lastFailure``.

    Python names: ``callTime`` -> ``call_time``, ``responseTime`` -> ``response_time``,
    ``reasonPhrase`` -> ``reason_phrase``, ``httpStatusCode`` -> ``http_status_code`` (a .NET
    name; :attr:`status_code` gives the number).

    >>> call = Call.from_dict({"success": False, "callTime": "2024-12-12T11:11:11",
    ...     "status": "401", "headers": {"content-type": "application/json"}})
    >>> call.http_status_code, call.status_code, call.call_time.isoformat()
    ('Unauthorized', 401, '2024-12-12T11:11:11+00:00')
    """

    model_config = ConfigDict(validate_assignment=True)

    success: bool | None = None
    call_time: UtcDatetime | None = None
    response_time: UtcDatetime | None = None
    headers: str | dict[str, Any] | None = None
    error: str | None = None
    response: str | dict[str, Any] | list[Any] | None = None
    reason_phrase: str | None = None
    http_status_code: Annotated[str | None, BeforeValidator(_status_name)] = Field(
        None,
        validation_alias=AliasChoices("httpStatusCode", "status"),
        serialization_alias="httpStatusCode",
    )

    @property
    def status_code(self) -> int | None:
        """The HTTP status as a number (``"OK"`` -> 200), or None."""
        if self.http_status_code is None:
            return None
        return http_status_code(self.http_status_code)


class Webhook(WireModel):
    """A webhook as the platform's Webhook API returns it (OAS ``Webhook`` + ``name``,
    ``revision``).

    Python names: ``objectType`` -> ``object_type``, ``lastSuccess`` -> ``last_success``,
    ``lastFailure`` -> ``last_failure``, ``lastCall`` -> ``last_call``, ``$meta`` -> ``meta``;
    ``object`` (the product, program or form the webhook is scoped to) is ``object``.
    """

    # Assignments are normalized too (``webhook.status = "disabled"`` -> "Disabled").
    model_config = ConfigDict(validate_assignment=True)

    id: str | None = None
    href: str | None = None
    name: str | None = None
    revision: int | None = None
    description: str | None = None
    url: str | None = None
    status: Annotated[str | None, _Normalized(pascal_case)] = None
    type: Annotated[WebhookType | None, _Normalized(WebhookType)] = None
    object_type: Annotated[ObjectType | None, _Normalized(ObjectType)] = None
    secret: str | None = None
    account: Reference | None = None
    object: Reference | None = None
    criteria: Annotated[dict[str, str] | None, BeforeValidator(_flat_criteria)] = Field(
        None, validation_alias=AliasChoices("criteria", "params"), serialization_alias="criteria"
    )
    statistics: Statistics | None = None
    last_success: Call | None = None
    last_failure: Call | None = None
    last_call: Call | None = None
    audit: Audit | None = None
    meta: Meta | None = Field(None, alias="$meta")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The secret is shown once, by the create call: never in a repr (a log line, a traceback).
        for name, value in super().__repr_args__():
            yield name, "<hidden>" if name == "secret" and value is not None else value

    @property
    def is_enabled(self) -> bool:
        """``status`` is Enabled."""
        return self.status == WebhookStatus.ENABLED
