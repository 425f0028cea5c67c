"""The platform's view of your endpoint beside the receiver's own: for each webhook, the
statistics the platform keeps (``select=+statistics,+lastFailure``) and those the receiver
counted (``GET /_receiver/webhooks`` with the admin token), with the last failure's status and
reason; and the ``--fail-when`` conditions a cron job or a smoke check exits on.

    >>> condition = parse_condition("failures-since-last-success>3")
    >>> condition.field, condition.operator, condition.limit
    ('failures-since-last-success', '>', 3)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx

from receiver.errors import ConfigurationError
from receiver.models.webhook import Call, Statistics, Webhook
from receiver.platform._receiver import request_receiver
from receiver.wire import Route

REPORT_SELECT: Final = "+statistics,+lastFailure"

# The statistics a condition may test, by their command-line names (platform.md §4.3.1).
FIELDS: Final[dict[str, str]] = {
    "failures-since-last-success": "failures_since_last_success",
    "failures": "failures",
    "total": "total",
    "successes": "successes",
}
_OPERATORS: Final[dict[str, Callable[[int, int], bool]]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "=": operator.eq,
}
_CONDITION: Final = re.compile(r"^\s*([a-z-]+)\s*(>=|<=|>|<|=)\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Condition:
    """``<field> <operator> <limit>`` over a webhook's platform-side statistics."""

    field: str
    operator: str
    limit: int

    def holds(self, statistics: Statistics | None) -> bool:
        value = getattr(statistics or Statistics(), FIELDS[self.field])
        return _OPERATORS[self.operator](int(value), self.limit)

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{self.limit}"


def parse_condition(text: str) -> Condition:
    """``failures-since-last-success>3`` -> a Condition; ValueError says what is accepted."""
    match = _CONDITION.match(text)
    if match is None or match.group(1) not in FIELDS:
        raise ValueError(
            f"{text!r} is not a condition; write FIELD>N (or >=, <, <=, =) with FIELD one of"
            f" {', '.join(FIELDS)}, e.g. failures-since-last-success>3."
        )
    return Condition(match.group(1), match.group(2), int(match.group(3)))


@dataclass(frozen=True, slots=True)
class Row:
    """One webhook: the platform's record of it, and the receiver's (None when the receiver
    was not asked, or recorded no call of it)."""

    webhook: Webhook
    receiver: Webhook | None

    def to_dict(self) -> dict[str, Any]:
        hook = self.webhook
        return {
            "id": hook.id,
            "type": hook.type,
            "status": hook.status,
            "url": hook.url,
            "platform": _side(hook),
            "receiver": None if self.receiver is None else _side(self.receiver),
        }


def _side(hook: Webhook) -> dict[str, Any]:
    data: dict[str, Any] = {"statistics": (hook.statistics or Statistics()).to_dict()}
    if hook.last_failure is not None:
        data["lastFailure"] = hook.last_failure.to_dict()
    return data


def receiver_statistics(
    admin_url: str,
    admin_token: str,
    *,
    timeout: float = 10.0,
    verify: bool = True,
    http_client: httpx.Client | None = None,
) -> dict[str, Webhook]:
    """The receiver's own statistics by webhook id, from ``GET <admin_url>/_receiver/webhooks``
    with its admin token (RECEIVER_ADMIN_TOKEN)."""
    url = admin_url.rstrip("/") + Route.ADMIN_WEBHOOKS
    headers = {"Authorization": f"Bearer {admin_token}", "Accept": "application/json"}
    try:
        response = request_receiver(
            "GET", url, headers=headers, http_client=http_client, timeout=timeout, verify=verify
        )
    except httpx.HTTPError as exc:
        raise ConfigurationError(
            f"Could not reach the receiver's admin route {url} ({type(exc).__name__}); check"
            " --admin-url."
        ) from None
    if response.status_code in (401, 404):
        what = "refused the admin token" if response.status_code == 401 else "has no such route"
        raise ConfigurationError(
            f"The receiver at {url} {what} ({response.status_code}). Give the receiver's"
            " RECEIVER_ADMIN_TOKEN as --admin-token (the route is off without one), and its"
            " root as --admin-url."
        )
    try:
        body = response.json()
        data = body["data"] if response.is_success else None
    except (ValueError, KeyError, TypeError):
        data = None
    if not isinstance(data, list):
        raise ConfigurationError(
            f"The receiver at {url} answered {response.status_code} without its statistics;"
            " check --admin-url (the receiver's root, not a webhook's path)."
        )
    found: dict[str, Webhook] = {}
    for item in data:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            found[item["id"]] = Webhook.from_dict(item)
    return found


def make_rows(webhooks: Sequence[Webhook], receiver: Mapping[str, Webhook] | None) -> list[Row]:
    """Each webhook beside the receiver's record of it."""
    return [
        Row(hook, None if receiver is None else receiver.get(hook.id or "")) for hook in webhooks
    ]


def counts(statistics: Statistics | None) -> str:
    """``calls/ok/failed/since`` as one cell, e.g. ``12/10/2/1``."""
    stats = statistics or Statistics()
    return f"{stats.total}/{stats.successes}/{stats.failures}/{stats.failures_since_last_success}"


def describe_call(call: Call | None, *, width: int = 80) -> str:
    """A call in one line: when, the status, and the reason (error or phrase), bounded."""
    if call is None:
        return "-"
    when = call.call_time.strftime("%Y-%m-%d %H:%M:%SZ") if call.call_time else "?"
    code = call.status_code
    status = (
        f"{code} {call.reason_phrase or call.http_status_code or ''}".strip()
        if code
        else (call.http_status_code or "no answer")
    )
    reason = " ".join((call.error or "").split())
    text = f"{when} {status}" + (f": {reason}" if reason else "")
    return text if len(text) <= width else text[: width - 3] + "..."
