"""The Webhook API's input rules: what a create (POST) or update (PUT) body may hold.

* ``type``: a known webhook type, PascalCase or lowerCamelCase; required on create, and it can
  never change (platform.md §4.3).
* ``url``: ``https://`` only; ``http://`` to a loopback host (127.0.0.0/8, ::1, localhost) only
  when the simulator runs with ``allow_http``.
* ``criteria``: a flat ``{dot.path: value}`` object, or the OpenAPI's ``[{key, value}]`` list,
  holding the anchor key of the type's family (``product.id``, ``program.id``, ``form.id``);
  only ``status`` may hold several values (a list, or comma-separated), matched with OR.
* ``secret``: chosen by the caller, or generated on create; never a PEM/SSH key.
* ``status``: not in ``CreateWebhookRequest``, but the AWS migrations send it; the simulator
  honours it (``Disabled`` creates a disabled webhook) rather than refusing the call.
* any other field: 400 (the schemas say ``additionalProperties: false``).

    >>> parse_create({"type": "validateChangeOrderDraft", "url": "https://vendor.example/",
    ...               "criteria": [{"key": "product.id", "value": "PRD-1111-1111"}]},
    ...              allow_http=False)["criteria"]
    {'product.id': 'PRD-1111-1111'}
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from receiver._net import is_loopback
from receiver.errors import SecretConfigurationError
from receiver.models.webhook import WebhookStatus
from receiver.secrets import validate_secret
from receiver.simulator.problems import Problem, validation_problem
from receiver.types import KNOWN_WEBHOOK_TYPES, WebhookType, anchor_key, close_webhook_types

CREATE_FIELDS: Final = ("type", "description", "url", "criteria", "secret", "status")
UPDATE_FIELDS: Final = ("webhookId", "type", "description", "url", "criteria", "secret", "status")
MULTI_VALUE_KEYS: Final = frozenset({"status"})
MAX_TEXT: Final = 4000
ALLOW_HTTP_HINT: Final = (
    "start the simulator with allow_http=True (`receiver simulate --allow-http`)"
)


def generate_secret() -> str:
    """A new webhook secret: 43 URL-safe characters (256 random bits)."""
    return secrets.token_urlsafe(32)


def parse_create(body: Any, *, allow_http: bool) -> dict[str, Any]:
    """The normalized fields of a create request; raises a 400 Problem naming every bad field.

    The result always has ``type``, ``url``, ``criteria``, ``secret`` (generated when not
    given), ``status`` and ``description``.
    """
    fields = _check_object(body, CREATE_FIELDS)
    errors: dict[str, list[str]] = {}
    webhook_type = _webhook_type(fields.get("type"), errors, required=True)
    result: dict[str, Any] = {
        "type": webhook_type,
        "url": _url(fields.get("url"), allow_http, errors, required=True),
        "description": _description(fields.get("description"), errors),
        "status": _status(fields.get("status", WebhookStatus.ENABLED.value), errors),
        "secret": (
            generate_secret() if fields.get("secret") is None else _secret(fields["secret"], errors)
        ),
    }
    if webhook_type is not None:
        result["criteria"] = _criteria(fields.get("criteria"), webhook_type, errors)
    if errors:
        raise validation_problem(errors)
    return result


def parse_update(
    body: Any, *, webhook_id: str, current_type: WebhookType, allow_http: bool
) -> dict[str, Any]:
    """The fields a PUT changes (omitted fields stay as they are), normalized; 400 otherwise.

    ``{"value": ...}`` wrappers (the OpenAPI's ``*JsonOptional`` types) are unwrapped."""
    fields = {name: _unwrap(value) for name, value in _check_object(body, UPDATE_FIELDS).items()}
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if "webhookId" in fields and fields["webhookId"] != webhook_id:
        errors["webhookId"] = [f"must be {webhook_id!r}, the id in the URL, or left out."]
    if "type" in fields:
        given = _webhook_type(fields["type"], errors, required=True)
        if given is not None and given != current_type:
            errors["type"] = [
                f"The type of a webhook cannot change (it is {current_type}); delete the webhook"
                f" and create a new one of type {given}."
            ]
    if "url" in fields:
        changes["url"] = _url(fields["url"], allow_http, errors, required=True)
    if "description" in fields:
        changes["description"] = _description(fields["description"], errors)
    if "criteria" in fields:
        changes["criteria"] = _criteria(fields["criteria"], current_type, errors)
    if "secret" in fields:
        if fields["secret"] is None:
            errors["secret"] = ["cannot be removed; send a new secret to rotate it."]
        else:
            changes["secret"] = _secret(fields["secret"], errors)
    if "status" in fields:
        changes["status"] = _status(fields["status"], errors)
    if errors:
        raise validation_problem(errors)
    return changes


def _check_object(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Problem(400, "The request body must be a JSON object.")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise validation_problem(
            {
                name: [f"is not a field of this request; the fields are {', '.join(allowed)}."]
                for name in unknown
            }
        )
    return body


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "hasValue"}:
        return value["value"]
    return value


def _webhook_type(
    value: Any, errors: dict[str, list[str]], *, required: bool
) -> WebhookType | None:
    if value is None:
        if required:
            errors["type"] = ["is required, e.g. ValidatePurchaseOrderDraft."]
        return None
    if not isinstance(value, str) or not value:
        errors["type"] = ["must be a webhook type name, e.g. ValidatePurchaseOrderDraft."]
        return None
    webhook_type = WebhookType(value)
    if not webhook_type.known:
        close = close_webhook_types(value)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        errors["type"] = [
            f"{value!r} is not a webhook type.{hint} Known types: {', '.join(KNOWN_WEBHOOK_TYPES)}."
        ]
        return None
    return webhook_type


def check_url(url: str, *, allow_http: bool) -> str | None:
    """What is wrong with a webhook URL, or None when it is acceptable.

    >>> check_url("http://127.0.0.1:8080/", allow_http=True) is None
    True
    >>> print(check_url("http://127.0.0.1:8080/", allow_http=False))  # doctest: +ELLIPSIS
    Only https:// URLs are allowed; for http:// to a loopback host, start the simulator ...
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return "is not a valid URL."
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        return "must be an absolute https:// URL, e.g. https://vendor.example.com/validate."
    if any(char.isspace() for char in url):
        return "must not contain whitespace."
    if scheme == "https":
        return None
    if not allow_http:
        return f"Only https:// URLs are allowed; for http:// to a loopback host, {ALLOW_HTTP_HINT}."
    if not is_loopback(host):
        return (
            f"http:// is allowed only to a loopback host (127.0.0.0/8, ::1, localhost), not"
            f" {host!r}; use https:// for any other host."
        )
    return None


def _url(value: Any, allow_http: bool, errors: dict[str, list[str]], *, required: bool) -> Any:
    if value is None and required:
        errors["url"] = ["is required: the https:// URL the platform calls."]
        return None
    if not isinstance(value, str):
        errors["url"] = ["must be a string URL."]
        return None
    problem = check_url(value, allow_http=allow_http)
    if problem is not None:
        errors["url"] = [problem]
    return value


def _description(value: Any, errors: dict[str, list[str]]) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        errors["description"] = [f"must be a string of at most {MAX_TEXT} characters."]
        return None
    return value or None


def _status(value: Any, errors: dict[str, list[str]]) -> str | None:
    if isinstance(value, str):
        for status in WebhookStatus:
            if value.lower() == status.lower():
                return status.value
    errors["status"] = ["must be Enabled or Disabled."]
    return None


def _secret(value: Any, errors: dict[str, list[str]]) -> str | None:
    if not isinstance(value, str) or not value:
        errors["secret"] = ["must be a non-empty string (or left out to have one generated)."]
        return None
    try:
        validate_secret(value, owner="the webhook")
    except SecretConfigurationError as exc:
        errors["secret"] = [str(exc)]
        return None
    return value


def _criteria(
    value: Any, webhook_type: WebhookType, errors: dict[str, list[str]]
) -> dict[str, str] | None:
    anchor = anchor_key(webhook_type)
    example = f'{{"{anchor}": "{_ANCHOR_EXAMPLES.get(anchor, "...")}"}}'
    if isinstance(value, list):
        pairs: dict[str, Any] = {}
        for item in value:
            if not (isinstance(item, Mapping) and isinstance(item.get("key"), str)):
                errors["criteria"] = ["as a list, must hold {key, value} objects."]
                return None
            pairs[item["key"]] = item.get("value")
        value = pairs
    if not isinstance(value, Mapping):
        errors["criteria"] = [f"is required: an object like {example}."]
        return None
    criteria: dict[str, str] = {}
    problems: list[str] = []
    for key, raw in value.items():
        if not key:
            problems.append("keys must be non-empty dot-paths into the object.")
            continue
        values = _criterion_values(raw)
        if values is None:
            problems.append(f"{key!r} must have a string value.")
        elif len(values) > 1 and key not in MULTI_VALUE_KEYS:
            problems.append(f"only status may hold several values; {key!r} has {len(values)}.")
        elif values:
            criteria[key] = ",".join(values)
        else:
            problems.append(f"{key!r} must not be empty.")
    if not problems and anchor not in criteria:
        problems.append(
            f"must include {anchor!r}, the object a {webhook_type} webhook is scoped to,"
            f" e.g. {example}."
        )
    if problems:
        errors["criteria"] = problems
        return None
    return criteria


_ANCHOR_EXAMPLES: Final = {
    "product.id": "PRD-1111-1111",
    "program.id": "PRG-1111-1111",
    "form.id": "FRM-1111-1111",
}


def _criterion_values(raw: Any) -> list[str] | None:
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw if item.strip()]
    return None
