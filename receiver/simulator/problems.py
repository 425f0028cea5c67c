"""Errors of the simulated platform API as ProblemDetails (RFC 9457), the way the platform's
ASP.NET API writes them: ``type``, ``title``, ``status``, ``detail``, ``instance``, ``traceId``
and, for field validation, ``errors {field: [messages]}``.

    >>> problem = Problem(409, "A webhook of this type already exists for PRD-1111-1111.")
    >>> body = problem.body("/public/v1/notifications/webhooks")
    >>> body["title"], body["status"], body["type"]
    ('Conflict', 409, 'https://tools.ietf.org/html/rfc9110#section-15.5.10')
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final

from starlette.responses import JSONResponse

from receiver.errors import ReceiverError

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"

# The RFC 9110 sections ASP.NET links as the ``type`` of each status.
_SECTIONS: Final[dict[int, str]] = {
    400: "15.5.1",
    401: "15.5.2",
    403: "15.5.4",
    404: "15.5.5",
    405: "15.5.6",
    409: "15.5.10",
    413: "15.5.14",
    415: "15.5.16",
    500: "15.6.1",
}


class Problem(ReceiverError):
    """An API error: raise it in a route, the app answers it as ProblemDetails.

    ``errors`` maps request fields to what is wrong with them (a 400 of validation).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = {field: list(messages) for field, messages in (errors or {}).items()}
        self.headers = dict(headers or {})

    def body(self, instance: str) -> dict[str, Any]:
        """The ProblemDetails object for a request to ``instance`` (its path)."""
        section = _SECTIONS.get(self.status)
        body: dict[str, Any] = {
            "type": (
                f"https://tools.ietf.org/html/rfc9110#section-{section}"
                if section
                else "about:blank"
            ),
            "title": _title(self.status),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            # The W3C traceparent form ASP.NET puts here; random, it only makes reports unique.
            "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
        }
        if self.errors:
            body["errors"] = self.errors
        return body

    def response(self, instance: str) -> JSONResponse:
        """The HTTP answer: ``application/problem+json`` with this status."""
        return JSONResponse(
            self.body(instance),
            status_code=self.status,
            headers=self.headers,
            media_type=PROBLEM_CONTENT_TYPE,
        )


def validation_problem(errors: Mapping[str, Sequence[str]]) -> Problem:
    """A 400 for field errors; ``detail`` repeats them so a plain-text client sees every one.

    >>> validation_problem({"url": ["Only https:// URLs are allowed."]}).detail
    'url: Only https:// URLs are allowed.'
    """
    detail = " ".join(
        f"{field}: {message}" for field, messages in errors.items() for message in messages
    )
    return Problem(400, detail, errors=errors)


def excerpt(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message, cut to ``limit`` characters: a detail names what was
    wrong without echoing a whole hostile input back.

    >>> excerpt("ten"), excerpt("9" * 5000, limit=5)
    ("'ten'", "'99999'... (5000 characters)")
    """
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
