"""Reading request bodies for the simulated API: JSON media types only, bounded size."""

from __future__ import annotations

from typing import Any, Final

import pydantic_core
from starlette.requests import Request

from receiver._http import is_json_content_type
from receiver.simulator.problems import Problem

MAX_BODY_SIZE: Final = 5 * 1024 * 1024


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


def _too_large(limit: int) -> Problem:
    return Problem(413, f"The request body is larger than {limit} bytes.")
