"""The receiver's own OpenAPI 3.1 document, served at ``GET /_receiver/openapi.json``.

It describes the routes exactly as :mod:`receiver.app` serves them, for the receiver it is asked
about:

- ``POST /`` and ``POST /<WebhookType>`` (one path per registered handler): the platform's calls,
  a JSON object with a string ``id`` and an HS256 bearer token; answered 200 with the object, or
  an error body ``{"id", "message"}`` (:func:`receiver.answers.error_body`) whose ``id`` is one
  of the reasons listed per status;
- ``GET /healthz`` and ``GET /_receiver/openapi.json``, without auth;
- ``GET /_receiver/webhooks`` and ``GET /_receiver/webhooks/{webhook_id}``, the statistics in the
  platform's Webhook shape (:mod:`receiver.stats`), only when ``admin_token`` is set (without it
  these paths answer 404 to everything, so they are left out).

Every status a route can answer is declared and nothing else. A method a path does not list is
answered 405 with ``Allow`` (``POST`` on the call routes, ``GET, HEAD`` on the others; ``HEAD``
answers like ``GET``), and a path not listed here 404 ``not_found``, except
``POST /<WebhookType>`` for a known type without a handler, answered like ``POST /`` for an
object nobody handles (401, then 404 ``no_handler``).

    >>> from receiver import Receiver
    >>> app = Receiver(secrets={"WBH-1": "s3cret"})
    >>> _ = app.validate_purchase_order_draft(lambda order: order)
    >>> sorted(openapi_document(app)["paths"])  # doctest: +NORMALIZE_WHITESPACE
    ['/', '/ValidatePurchaseOrderDraft', '/_receiver/openapi.json', '/_receiver/verify',
     '/healthz', '/readyz']
"""

from __future__ import annotations

import copy
import weakref
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Final

import pydantic_core

from receiver import tokens
from receiver.resolution import types_sharing_a_body
from receiver.types import ANSWER, WebhookType
from receiver.wire import BAD_REQUEST_IDS, WEBHOOK_ID_PATTERN, ErrorId, Outcome, Route

if TYPE_CHECKING:
    from receiver.app import Receiver

__all__ = ["OPENAPI_VERSION", "openapi_document", "openapi_json"]

OPENAPI_VERSION: Final = "3.1.0"

_SERVER_ERROR_CAUSES: Final = {
    "ambiguous_webhook_type": "several handlers could take the object (add `webhooks=`)",
    "handler_failed": "the handler failed or missed its deadline (the `error` failure policy)",
    "misconfigured": "the receiver is misconfigured",
    "internal_error": "a bug of the receiver",
}
_JSON: Final = "application/json"

# Per receiver, the document and what it was built from (handlers can still be added until the
# receiver starts, and the admin routes depend on its options).
_CACHE: weakref.WeakKeyDictionary[Receiver, tuple[tuple[Any, ...], bytes]] = (
    weakref.WeakKeyDictionary()
)


def openapi_json(receiver: Receiver) -> bytes:
    """The document of :func:`openapi_document` as JSON bytes, built once per configuration of
    ``receiver`` (a handler registered later gives a new document)."""
    key = _configuration(receiver)
    cached = _CACHE.get(receiver)
    if cached is not None and cached[0] == key:
        return cached[1]
    body = pydantic_core.to_json(openapi_document(receiver))
    _CACHE[receiver] = (key, body)
    return body


def openapi_document(receiver: Receiver) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``receiver``'s routes, as a new dict (change it freely)."""
    types = _handler_types(receiver)
    admin = _admin_enabled(receiver)
    paths: dict[str, Any] = {"/": {"post": _call_operation(receiver, None, types)}}
    for webhook_type in types:
        paths[f"/{webhook_type}"] = {"post": _call_operation(receiver, webhook_type, types)}
    paths["/healthz"] = {"get": _healthz_operation()}
    paths[str(Route.READYZ)] = {"get": _readyz_operation()}
    paths[str(Route.OPENAPI)] = {"get": _openapi_operation()}
    paths[str(Route.VERIFY)] = {"post": _verify_operation(receiver)}
    schemes: dict[str, Any] = {
        "webhookToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": (
                "The platform's token: HS256 (no other algorithm, never `none`), signed with the"
                " webhook's secret, with the claims `webhook_id` and `exp` (required), `iat`,"
                " `nbf`, `iss`."
            ),
        }
    }
    if admin:
        paths[str(Route.ADMIN_WEBHOOKS)] = {"get": _admin_list_operation()}
        paths[f"{Route.ADMIN_WEBHOOKS}/{{webhook_id}}"] = {"get": _admin_detail_operation()}
        schemes["adminToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The receiver's `admin_token`.",
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "mpt-receiver",
            "version": _package_version(),
            "description": (
                "A vendor's endpoint for the SoftwareOne Marketplace Platform's validation"
                " webhooks. A refusal is a 200 with `error` set on the object or on a parameter;"
                " any other status means the call was not validated. Methods not listed for a"
                " path are answered 405 with `Allow`; paths not listed 404."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(_SCHEMAS),
            "securitySchemes": schemes,
        },
    }


# -- configuration --------------------------------------------------------------------------------


def _handler_types(receiver: Receiver) -> list[WebhookType]:
    return sorted(receiver.handlers)


def _admin_enabled(receiver: Receiver) -> bool:
    return receiver.settings.admin_token is not None


def _failing_types(receiver: Receiver) -> list[WebhookType]:
    """The types whose handler failing is answered 500 (the ``error`` failure policy)."""
    return sorted(
        webhook_type
        for webhook_type, handler in receiver.handlers.items()
        if (handler.failure_policy or receiver.settings.failure_policy) == "error"
    )


def _configuration(receiver: Receiver) -> tuple[Any, ...]:
    """Everything the document depends on."""
    return (
        tuple(_handler_types(receiver)),
        tuple(_failing_types(receiver)),
        _admin_enabled(receiver),
        receiver.settings.max_body_size,
        tuple(_token_reasons(receiver)),
        _replay_guard_can_refuse(receiver),
        receiver.settings.body_timeout,
    )


def _package_version() -> str:
    try:
        return version("mpt-receiver")
    except PackageNotFoundError:  # pragma: no cover - only in an uninstalled checkout
        return "0.0.0"


# -- the call routes ------------------------------------------------------------------------------


def _token_reasons(receiver: Receiver) -> list[str]:
    options = receiver.settings.verify_options
    reasons: list[str] = [
        tokens.MISSING,
        tokens.MALFORMED,
        tokens.ALGORITHM_NOT_ALLOWED,
        tokens.UNKNOWN_WEBHOOK,
        ErrorId.SECRET_UNAVAILABLE,
        tokens.BAD_SIGNATURE,
        tokens.MISSING_CLAIM,
        tokens.INVALID_CLAIM,
        tokens.EXPIRED,
        tokens.NOT_YET_VALID,
    ]
    if options.max_age is not None:
        reasons.append(tokens.TOO_OLD)
    if options.issuer is not None:
        reasons.append(tokens.WRONG_ISSUER)
    if options.audience is not None:
        reasons.append(tokens.WRONG_AUDIENCE)
    if receiver.settings.replay_guard:
        reasons.append(ErrorId.TOKEN_REPLAYED)
    return reasons


def _replay_guard_can_refuse(receiver: Receiver) -> bool:
    """Whether an unreachable store is answered 503 (the replay guard failing closed)."""
    return receiver.settings.replay_guard and receiver.settings.replay_fail_mode == "closed"


def _object_schema(webhook_type: WebhookType | None) -> dict[str, Any]:
    if webhook_type is None:
        return {"$ref": "#/components/schemas/PlatformObject"}
    kind = webhook_type.object_type or ANSWER
    return {
        "allOf": [{"$ref": "#/components/schemas/PlatformObject"}],
        "title": str(kind),
        "description": f"The {kind} the platform validates with {webhook_type}.",
    }


def _call_operation(
    receiver: Receiver, webhook_type: WebhookType | None, types: list[WebhookType]
) -> dict[str, Any]:
    obj = _object_schema(webhook_type)
    if webhook_type is None:
        summary = "A validation call on the shared URL"
        description = (
            "The webhook type is taken from the receiver's `webhooks=` map for the token's"
            " webhook, else from the body (an Order's `type` + `status`, the id prefix"
            " `ORD-`/`ACC-`/`REQ-`/`ENR-`). Registered types: "
            + (", ".join(types) if types else "none")
            + "."
        )
        operation_id = "validate"
    else:
        summary = f"A {webhook_type} call"
        description = f"The URL names the type; the handler `{webhook_type.snake_name}` answers."
        operation_id = webhook_type.snake_name
    responses: dict[str, Any] = {}
    if types:  # without a handler no call can succeed
        responses["200"] = {
            "description": (
                "The object as the handler left it, with the request's `id`: an `error` on it or"
                " on a parameter is a refusal. Fields the handler did not touch come back as they"
                " came."
            ),
            "content": {_JSON: {"schema": obj}},
        }
    responses["400"] = _error_response(
        "The request cannot be used: Content-Length is not a number, the client went away,"
        " the body is empty, not JSON, not an object, has no string `id`, or is nested deeper"
        " than 200 levels.",
        list(BAD_REQUEST_IDS),
    )
    responses["401"] = _error_response(
        "The bearer token was refused; `id` names why. Neither the token nor a secret is ever"
        " quoted.",
        _token_reasons(receiver),
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    if webhook_type is None:
        responses["404"] = _error_response(
            "No handler for the call's type (the message names the decorator to add).",
            ["no_handler"],
        )
    responses["408"] = _error_response(
        f"The body did not arrive within body_timeout ({receiver.settings.body_timeout:g} s).",
        ["body_timeout"],
    )
    responses["413"] = _error_response(
        f"The body is larger than max_body_size ({receiver.settings.max_body_size} bytes);"
        " reading stops at the limit.",
        ["body_too_large"],
    )
    responses["415"] = _error_response(
        "Content-Type is not JSON (application/json, text/json, application/*+json; a missing"
        " Content-Type is accepted).",
        ["unsupported_media_type"],
    )
    failing = _failing_types(receiver)
    server_errors = ["misconfigured", "internal_error"]
    handler_can_fail = bool(failing) if webhook_type is None else webhook_type in failing
    if handler_can_fail:
        server_errors.insert(0, "handler_failed")
    if webhook_type is None and types_sharing_a_body(types):
        server_errors.insert(0, "ambiguous_webhook_type")
    causes = [_SERVER_ERROR_CAUSES[reason] for reason in server_errors]
    responses["500"] = _error_response(
        "The call was not validated: "
        + ", ".join(causes[:-1])
        + f" or {causes[-1]}. Details are in the receiver's log only.",
        server_errors,
    )
    unavailable = ["shutting_down"]
    if _replay_guard_can_refuse(receiver):
        unavailable.append("replay_guard_unavailable")
    responses["503"] = _error_response(
        "Not validated, try again: the server stopped while the call was in progress"
        + (
            ", or the replay guard cannot reach its store (replay_fail_mode='closed')"
            if len(unavailable) > 1
            else ""
        )
        + ".",
        unavailable,
        headers={"Retry-After": "1"},
    )
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": ["calls"],
        "security": [{"webhookToken": []}],
        "requestBody": {
            "required": True,
            "description": "The object the platform validates (a draft Order, an Account, ...).",
            "content": {_JSON: {"schema": obj}},
        },
        "responses": responses,
    }


def _error_response(
    description: str, reasons: list[str], *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            _JSON: {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Error"}],
                    "properties": {"id": {"enum": reasons}},
                }
            }
        },
    }
    if headers:
        response["headers"] = {
            name: {"required": True, "schema": {"type": "string", "const": value}}
            for name, value in headers.items()
        }
    return response


# -- the other routes -----------------------------------------------------------------------------


def _verify_operation(receiver: Receiver) -> dict[str, Any]:
    reasons = [r for r in _token_reasons(receiver) if r != ErrorId.TOKEN_REPLAYED]
    return {
        "operationId": "verifyToken",
        "summary": "Check a token as a call would, without a call",
        "description": "Answers 204 when the token would be accepted; runs no handler and records"
        " nothing. A secret rotation proves the new secret with it before the platform signs"
        " with it.",
        "tags": ["receiver"],
        "security": [{"webhookToken": []}],
        "responses": {
            "204": {"description": "The token would be accepted."},
            "401": _error_response(
                "The bearer token was refused; `id` names why.",
                reasons,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ),
            "500": _error_response("The receiver is misconfigured.", ["misconfigured"]),
        },
    }


def _readyz_operation() -> dict[str, Any]:
    return {
        "operationId": "readyz",
        "summary": "Readiness",
        "description": "200 once startup is done (secrets read, startup hooks run, a shared store"
        " answered once); 503 before that and from the moment shutdown begins.",
        "tags": ["receiver"],
        "security": [],
        "responses": {
            "200": {
                "description": "The receiver takes calls.",
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {"status": {"const": "ready"}},
                            "required": ["status"],
                            "additionalProperties": False,
                        }
                    }
                },
            },
            "503": _error_response("Not ready; the message says why.", ["not_ready"]),
        },
    }


def _healthz_operation() -> dict[str, Any]:
    return {
        "operationId": "healthz",
        "summary": "Liveness",
        "tags": ["receiver"],
        "security": [],
        "responses": {
            "200": {
                "description": "The receiver is up.",
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {"status": {"const": "ok"}},
                            "required": ["status"],
                            "additionalProperties": False,
                        }
                    }
                },
            }
        },
    }


def _openapi_operation() -> dict[str, Any]:
    return {
        "operationId": "openapi",
        "summary": "This document",
        "tags": ["receiver"],
        "security": [],
        "responses": {
            "200": {
                "description": "The OpenAPI document of this receiver's routes.",
                "content": {
                    _JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {"openapi": {"type": "string", "pattern": "^3\\.1\\."}},
                            "required": ["openapi", "info", "paths"],
                        }
                    }
                },
            }
        },
    }


def _admin_unauthorized() -> dict[str, Any]:
    return {
        "description": "No `Authorization: Bearer <admin_token>`, or another token.",
        "headers": {
            "WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "Bearer"}}
        },
        "content": {
            _JSON: {
                "schema": {
                    "allOf": [{"$ref": "#/components/schemas/Error"}],
                    "properties": {"id": {"const": "unauthorized"}},
                }
            }
        },
    }


def _admin_misconfigured() -> dict[str, Any]:
    return _error_response(
        "The receiver could not start (e.g. RECEIVER_SECRETS unset or invalid); details are in"
        " its log only.",
        ["misconfigured"],
    )


def _admin_list_operation() -> dict[str, Any]:
    return {
        "operationId": "list_webhook_statistics",
        "summary": "Statistics of every webhook that called",
        "description": (
            "Webhooks with a configured secret only, by id: of every process when the receiver"
            " has a shared store, else of this process (`$meta.scope`)."
        ),
        "tags": ["statistics"],
        "security": [{"adminToken": []}],
        "responses": {
            "200": {
                "description": "The platform's list shape.",
                "content": {
                    _JSON: {"schema": {"$ref": "#/components/schemas/WebhookStatisticsList"}}
                },
            },
            "401": _admin_unauthorized(),
            "500": _admin_misconfigured(),
        },
    }


def _admin_detail_operation() -> dict[str, Any]:
    return {
        "operationId": "get_webhook_statistics",
        "summary": "Statistics of one webhook",
        "tags": ["statistics"],
        "security": [{"adminToken": []}],
        "parameters": [
            {
                "name": "webhook_id",
                "in": "path",
                "required": True,
                "description": "The webhook's id (e.g. WBH-5433-8787).",
                "schema": {"type": "string", "pattern": WEBHOOK_ID_PATTERN},
            }
        ],
        "responses": {
            "200": {
                "description": "What the receiver saw of this webhook.",
                "content": {
                    _JSON: {
                        "schema": {
                            "allOf": [{"$ref": "#/components/schemas/WebhookStatistics"}],
                            "required": ["$meta"],
                        }
                    }
                },
            },
            "401": _admin_unauthorized(),
            "500": _admin_misconfigured(),
            "404": {
                "description": "No call of this webhook was recorded (in `$meta.scope`).",
                "content": {
                    _JSON: {
                        "schema": {
                            "allOf": [{"$ref": "#/components/schemas/Error"}],
                            "properties": {"id": {"const": "not_found"}},
                        }
                    }
                },
            },
        },
    }


# -- shared schemas -------------------------------------------------------------------------------

_NULLABLE_STRING: Final[dict[str, Any]] = {"type": ["string", "null"]}

_SCHEMAS: Final[dict[str, Any]] = {
    "StatisticsScope": {
        "type": "string",
        "enum": ["process", "deployment"],
        "description": (
            "`deployment`: from the shared store, every process; `process`: this process only"
            " (no shared store, or it is unavailable)."
        ),
    },
    "PlatformObject": {
        "type": "object",
        "description": (
            "An object of the platform: only `id` is required; every other field is kept as it"
            " came."
        ),
        "properties": {
            "id": {
                "type": "string",
                "description": "The object's id; the answer carries the same one.",
            }
        },
        "required": ["id"],
        "additionalProperties": True,
    },
    "Error": {
        "type": "object",
        "description": "The body of every answer other than 200 (receiver.answers.error_body).",
        "properties": {
            "id": {"type": "string", "description": "A stable reason code."},
            "message": {"type": "string", "description": "For people; says what to do."},
        },
        "required": ["id", "message"],
        "additionalProperties": False,
    },
    "CallRecord": {
        "type": "object",
        "description": "One call as the platform's Webhook object records it (receiver.stats).",
        "properties": {
            "success": {"type": "boolean", "description": "A 2xx answer."},
            "callTime": {"type": "string", "format": "date-time"},
            "responseTime": {"type": "string", "format": "date-time"},
            "httpStatusCode": {
                "type": "string",
                "description": "The .NET HttpStatusCode name (`OK`), or the number as text.",
            },
            "reasonPhrase": {"type": "string"},
            "headers": {
                "type": "string",
                "description": "The request headers, one `name: value` a line, without"
                " `authorization`.",
            },
            "response": {
                "type": "string",
                "description": "The start of the answer (at most 1024 bytes).",
            },
            "error": _NULLABLE_STRING,
            "webhookType": _NULLABLE_STRING,
            "objectId": _NULLABLE_STRING,
            "outcome": {
                "type": "string",
                "enum": [o.value for o in Outcome if o is not Outcome.UNKNOWN],
            },
            "requestId": {
                "type": ["string", "null"],
                "description": "The call's request id (its log line and the answer's"
                " `x-request-id`).",
            },
        },
        "required": [
            "success",
            "callTime",
            "responseTime",
            "httpStatusCode",
            "reasonPhrase",
            "headers",
            "response",
            "error",
            "webhookType",
            "objectId",
            "outcome",
        ],
        "additionalProperties": False,
    },
    "WebhookStatistics": {
        "type": "object",
        "description": "The Webhook-shaped view of one webhook (WebhookStats.to_wire).",
        "properties": {
            "id": {"type": "string", "pattern": WEBHOOK_ID_PATTERN},
            "type": {"type": "string"},
            "statistics": {
                "type": "object",
                "properties": {
                    "total": {"type": "integer", "minimum": 0},
                    "successes": {"type": "integer", "minimum": 0},
                    "failures": {"type": "integer", "minimum": 0},
                    "failuresSinceLastSuccess": {"type": "integer", "minimum": 0},
                },
                "required": ["total", "successes", "failures", "failuresSinceLastSuccess"],
                "additionalProperties": False,
            },
            "lastCall": {"$ref": "#/components/schemas/CallRecord"},
            "lastSuccess": {"$ref": "#/components/schemas/CallRecord"},
            "lastFailure": {"$ref": "#/components/schemas/CallRecord"},
            "unverified": {
                "type": "object",
                "description": "Calls that named this webhook with a token its secret did not"
                " sign (a stale secret after a rotation, or a forger), counted apart: they never"
                " change `statistics`, the last calls or `type`.",
                "properties": {
                    "total": {"type": "integer", "minimum": 1},
                    "byReason": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 1},
                    },
                    "lastCallTime": {"type": ["string", "null"], "format": "date-time"},
                },
                "required": ["total", "byReason", "lastCallTime"],
                "additionalProperties": False,
            },
            "$meta": {
                "type": "object",
                "description": "Only in the answer for one webhook.",
                "properties": {"scope": {"$ref": "#/components/schemas/StatisticsScope"}},
                "required": ["scope"],
                "additionalProperties": False,
            },
        },
        "required": ["id", "statistics"],
        "additionalProperties": False,
    },
    "WebhookStatisticsList": {
        "type": "object",
        "properties": {
            "$meta": {
                "type": "object",
                "properties": {
                    "pagination": {
                        "type": "object",
                        "properties": {
                            "offset": {"type": "integer", "minimum": 0},
                            "limit": {"type": "integer", "minimum": 0},
                            "total": {"type": "integer", "minimum": 0},
                        },
                        "required": ["offset", "limit", "total"],
                        "additionalProperties": False,
                    },
                    "scope": {"$ref": "#/components/schemas/StatisticsScope"},
                },
                "required": ["pagination", "scope"],
                "additionalProperties": False,
            },
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookStatistics"}},
        },
        "required": ["$meta", "data"],
        "additionalProperties": False,
    },
}
