"""Reading requests for the simulated API: JSON bodies of bounded size, the query string as
text, and whole numbers in query parameters. What cannot be read is a 400 (413, 415) Problem."""

from __future__ import annotations

from typing import Any, Final

import pydantic_core
from starlette.requests import Request

from receiver._http import is_json_content_type
from receiver.simulator.problems import Problem, excerpt

MAX_BODY_SIZE: Final = 5 * 1024 * 1024
MAX_NUMBER_LENGTH: Final = 10
"""Characters of a whole number in a query parameter (2147483647 has ten)."""


async def read_body(request: Request, limit: int = MAX_BODY_SIZE) -> bytes:
    """The request body; a 413 Problem as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The JSON body. ``application/json``, ``text/json`` and ``application/*+json`` are
    accepted (as the platform's OpenAPI lists them); anything else is a 415 Problem. An empty
    body is a 400, or None when ``required`` is false."""
    body = await read_body(request)
    if not body.strip():
        if required:
            raise Problem(400, "The request body is empty; send a JSON object.")
        return None
    content_type = request.headers.get("content-type")
    if content_type is None or not is_json_content_type(content_type.encode("latin-1")):
        raise Problem(
            415,
            f"Content-Type {content_type or '(none)'} is not accepted; send the body as"
            " application/json (text/json and application/*+json work too).",
        )
    try:
        # NaN/Infinity are not JSON; the platform's .NET parser refuses them too.
        return pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        raise Problem(400, f"The request body is not valid JSON: {exc}.") from None


def query_text(request: Request) -> str:
    """The raw query string (still percent-encoded) as text. A browser percent-encodes what is
    not ASCII; a raw client may send any bytes, and bytes that are not UTF-8 are a 400."""
    raw: bytes = request.scope.get("query_string", b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(
            400, "The query string is not UTF-8; percent-encode it (%C3%A9 for \u00e9)."
        ) from None


def whole_number(name: str, value: str, high: int) -> int:
    """Query parameter ``name`` as a whole number from 0 to ``high``, in the digits 0-9 only.

    ``int()`` alone would take ``+5``, `` 5``, ``1_0`` and other scripts' digits, and raises on
    a superscript two (which ``str.isdigit`` calls a digit) or on thousands of digits.

    >>> whole_number("limit", "0042", 1000)
    42
    >>> whole_number("limit", "+5", 1000)
    Traceback (most recent call last):
    ...
    receiver.simulator.problems.Problem: limit must be a whole number ... not '+5'.
    """
    if (
        not value
        or len(value) > MAX_NUMBER_LENGTH
        or not all("0" <= char <= "9" for char in value)
        or int(value) > high
    ):
        raise Problem(
            400,
            f"{name} must be a whole number between 0 and {high} (digits 0-9 only),"
            f" not {excerpt(value)}.",
        )
    return int(value)


def _too_large(limit: int) -> Problem:
    return Problem(413, f"The request body is larger than {limit} bytes.")
