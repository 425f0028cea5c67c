"""The wire vocabulary: what the receiver says on the wire, defined once.

Error ids (the ``id`` of every non-200 body) and the fixed messages that go with them, the
outcomes a call record carries, the routes, the webhook-id pattern, and the one table that says
which exception becomes which HTTP answer. ``calls.py`` answers with it, ``openapi.py`` documents
it, ``tokens.py`` raises with its reasons; none of them spells an id or a route itself.

    >>> ErrorId.BAD_SIGNATURE
    <ErrorId.BAD_SIGNATURE: 'bad_signature'>
    >>> failure_answer(TokenError(ErrorId.EXPIRED, "Token expired.")).status
    401
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from receiver.errors import (
    AmbiguousHandlersError,
    ConfigurationError,
    RequestError,
    StoreUnavailableError,
    TokenError,
)


class ErrorId(StrEnum):
    """The stable ``id`` of a non-200 answer's ``{"id", "message"}`` body."""

    # 401: the token (tokens.verify_call); the 401 ids of the OpenAPI document, in this order.
    MISSING_TOKEN = "missing_token"  # noqa: S105 - a reason code, not a secret
    MALFORMED_TOKEN = "malformed_token"  # noqa: S105
    ALGORITHM_NOT_ALLOWED = "algorithm_not_allowed"
    UNKNOWN_WEBHOOK = "unknown_webhook"
    SECRET_UNAVAILABLE = "secret_unavailable"  # noqa: S105
    BAD_SIGNATURE = "bad_signature"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    TOO_OLD = "too_old"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    TOKEN_REPLAYED = "token_replayed"  # noqa: S105
    # 400: the request (_http.read_body, parsing.parse_object, parsing.prepare).
    BAD_REQUEST = "bad_request"
    CLIENT_DISCONNECTED = "client_disconnected"
    EMPTY_BODY = "empty_body"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    MISSING_ID = "missing_id"
    INVALID_OBJECT = "invalid_object"
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
    # Other 4xx.
    NOT_FOUND = "not_found"
    NOT_READY = "not_ready"
    NO_HANDLER = "no_handler"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BODY_TIMEOUT = "body_timeout"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNAUTHORIZED = "unauthorized"  # the admin routes' token
    # 5xx.
    AMBIGUOUS_WEBHOOK_TYPE = "ambiguous_webhook_type"
    HANDLER_FAILED = "handler_failed"
    MISCONFIGURED = "misconfigured"
    INTERNAL_ERROR = "internal_error"
    REPLAY_GUARD_UNAVAILABLE = "replay_guard_unavailable"
    SHUTTING_DOWN = "shutting_down"


# The 400 ids, in the order the OpenAPI document lists them.
BAD_REQUEST_IDS: Final = (
    ErrorId.BAD_REQUEST,  # Content-Length is not a number
    ErrorId.CLIENT_DISCONNECTED,
    ErrorId.EMPTY_BODY,
    ErrorId.INVALID_JSON,
    ErrorId.NOT_AN_OBJECT,
    ErrorId.MISSING_ID,
    ErrorId.INVALID_OBJECT,
    ErrorId.NUMBER_OUT_OF_RANGE,
)


class Message(StrEnum):
    """Fixed messages, each typed once. Messages never quote a token or a secret."""

    MISSING_AUTHORIZATION = "Missing Authorization header; expected 'Bearer <token>'."
    NOT_BEARER = "The Authorization header must be 'Bearer <token>'."
    MISSING_WEBHOOK_ID = "Invalid token: the 'webhook_id' claim is required."
    UNKNOWN_WEBHOOK = "Unknown webhook: no secret is configured for it."
    SECRET_UNAVAILABLE = "The webhook's secret could not be looked up."  # noqa: S105
    BAD_SIGNATURE = "Invalid token: bad signature."
    TOKEN_REPLAYED = "Invalid token: already used for a different request."  # noqa: S105
    NOT_POST = "The platform's calls are POST requests."
    NOT_JSON = "Content-Type must be application/json."
    USE_GET = "Use GET."
    NOT_FOUND = "Not found."
    NOT_FOUND_CALL = (
        "Not found. The platform's calls go to POST / or POST /<WebhookType>"
        " (e.g. /ValidatePurchaseOrderDraft)."
    )
    ADMIN_UNAUTHORIZED = "Send Authorization: Bearer <admin_token>."
    HANDLER_FAILED = "The validation handler failed; details are in the receiver's log."
    MISCONFIGURED = "The receiver is misconfigured; see its log."
    INTERNAL_ERROR = "The receiver failed; see its log."
    REPLAY_GUARD_UNAVAILABLE = (
        "The receiver cannot check this token for reuse right now; try again shortly."
    )
    SHUTTING_DOWN = "The receiver stopped before this call was validated; try again."
    DEFAULT_REJECT = (
        "This order could not be validated right now. Please try again in a few minutes."
    )


# The order-level error id of the ``reject`` failure policy.
REJECT_ERROR_ID: Final = "RCV-VALIDATION-FAILED"


class Outcome(StrEnum):
    """What became of a call: the ``outcome`` of its record and of its log line."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    FAILED = "failed"
    REJECTED_ON_FAILURE = "rejected_on_failure"
    ACCEPTED_ON_FAILURE = "accepted_on_failure"
    UNAUTHORIZED = "unauthorized"
    BAD_REQUEST = "bad_request"
    NO_HANDLER = "no_handler"
    MISCONFIGURED = "misconfigured"
    INTERNAL_ERROR = "internal_error"
    STORE_UNAVAILABLE = "store_unavailable"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # only while the call is in progress


class Route(StrEnum):
    """The receiver's own routes (the calls themselves go to ``/`` and ``/<WebhookType>``)."""

    CALL = "/"
    HEALTHZ = "/healthz"
    READYZ = "/readyz"
    OPENAPI = "/_receiver/openapi.json"
    ADMIN_WEBHOOKS = "/_receiver/webhooks"
    METRICS = "/_receiver/metrics"
    VERIFY = "/_receiver/verify"  # checks a token as a call would, runs no handler (rotation)


# Only ids of this shape get a secret looked up, so only they are ever recorded.
WEBHOOK_ID_MAX_LENGTH: Final = 64
WEBHOOK_ID_PATTERN: Final = f"^[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{WEBHOOK_ID_MAX_LENGTH - 1}}}$"
# The rule in words, for messages that refuse a configured id.
WEBHOOK_ID_RULE: Final = (
    f"1-{WEBHOOK_ID_MAX_LENGTH} characters: letters, digits, '_', '.', ':' or '-', starting with"
    " a letter or digit"
)
_WEBHOOK_ID: Final = re.compile(WEBHOOK_ID_PATTERN.rstrip("$") + r"\Z")


def is_plausible_webhook_id(value: object) -> bool:
    """Whether ``value`` can be a webhook id (a short printable ASCII name, like WBH-1234-5678).

    >>> is_plausible_webhook_id("WBH-5433-8787"), is_plausible_webhook_id("a b")
    (True, False)
    """
    return isinstance(value, str) and _WEBHOOK_ID.match(value) is not None


# -- which exception becomes which answer ----------------------------------------------------------

RETRY_SOON: Final = ((b"retry-after", b"1"),)
INVALID_TOKEN: Final = ((b"www-authenticate", b'Bearer error="invalid_token"'),)
ALLOW_POST: Final = ((b"allow", b"POST"),)
ALLOW_GET: Final = ((b"allow", b"GET, HEAD"),)


@dataclass(frozen=True, slots=True)
class FailureAnswer:
    """The answer to a call that did not reach a handler's answer.

    ``error_id`` and ``message`` None: taken from the exception. ``record`` is what the call's
    record says of the error (None: the message). ``log``: the line the receiver's log gets
    (``%s`` is the exception; None: no line), with the traceback when ``traceback``.
    """

    status: int
    error_id: str | None
    message: str | None
    outcome: Outcome
    record: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()
    log: str | None = None
    traceback: bool = False


# First match wins: subclasses before their bases.
FAILURE_ANSWERS: Final[tuple[tuple[type[Exception], FailureAnswer], ...]] = (
    (TokenError, FailureAnswer(401, None, None, Outcome.UNAUTHORIZED, headers=INVALID_TOKEN)),
    (RequestError, FailureAnswer(0, None, None, Outcome.BAD_REQUEST)),
    (
        StoreUnavailableError,
        FailureAnswer(
            503,
            ErrorId.REPLAY_GUARD_UNAVAILABLE,
            Message.REPLAY_GUARD_UNAVAILABLE,
            Outcome.STORE_UNAVAILABLE,
            record="store unavailable",
            headers=RETRY_SOON,
        ),
    ),
    (
        AmbiguousHandlersError,
        FailureAnswer(500, ErrorId.AMBIGUOUS_WEBHOOK_TYPE, None, Outcome.MISCONFIGURED, log="%s"),
    ),
    (
        ConfigurationError,
        FailureAnswer(
            500,
            ErrorId.MISCONFIGURED,
            Message.MISCONFIGURED,
            Outcome.MISCONFIGURED,
            record="misconfigured",
            log="Receiver misconfigured: %s",
        ),
    ),
    (
        Exception,
        FailureAnswer(
            500,
            ErrorId.INTERNAL_ERROR,
            Message.INTERNAL_ERROR,
            Outcome.INTERNAL_ERROR,
            record="internal error",
            # A bug of ours: the traceback goes to the log, never into the answer.
            log="Unexpected error while serving a call",
            traceback=True,
        ),
    ),
)


def failure_answer(exc: Exception) -> FailureAnswer:
    """The row of :data:`FAILURE_ANSWERS` for ``exc``, with the exception's own parts filled in
    (a :class:`RequestError` carries its status, id and message; a 405 says what is allowed)."""
    row = next(answer for kind, answer in FAILURE_ANSWERS if isinstance(exc, kind))
    if isinstance(exc, RequestError):
        headers = ALLOW_POST if exc.status == 405 else ()
        return FailureAnswer(exc.status, exc.error_id, exc.message, row.outcome, headers=headers)
    if isinstance(exc, TokenError):
        return FailureAnswer(401, exc.reason, exc.message, row.outcome, headers=row.headers)
    if row.message is None:
        return FailureAnswer(
            row.status, row.error_id, str(exc), row.outcome, str(exc), row.headers, row.log
        )
    return row
