"""Raw ASGI plumbing for the hot path: route path, headers, bounded body reads, JSON answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from receiver._deadline import run_with_deadline
from receiver.errors import RequestError
from receiver.wire import ErrorId
from receiver.wire import Message as Text

Scope = dict[str, Any]
Message = dict[str, Any]

JSON_CONTENT_TYPES = ("application/json", "text/json")


def route_path(scope: Scope) -> str:
    """The path relative to where the app is mounted (Starlette/FastAPI ``Mount`` set root_path)."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        path = path[len(root) :]
    return path or "/"


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header ``name`` (lowercase bytes), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def is_json_content_type(value: bytes | None) -> bool:
    """JSON media types as the platform's API accepts them: application/json, text/json,
    application/*+json. A missing header is tolerated (curl users forget it)."""
    if value is None:
        return True
    media = value.split(b";", 1)[0].strip().lower().decode("latin-1")
    return media in JSON_CONTENT_TYPES or (
        media.startswith("application/") and media.endswith("+json")
    )


def check_call_request(scope: Scope) -> None:
    """Refuse what cannot be a platform call before anything else is done: not a POST (405), not
    JSON, or JSON in an encoding we do not decode (415)."""
    if scope["method"] != "POST":
        raise RequestError(405, ErrorId.METHOD_NOT_ALLOWED, Text.NOT_POST)
    if not is_json_content_type(header(scope, b"content-type")):
        raise RequestError(415, ErrorId.UNSUPPORTED_MEDIA_TYPE, Text.NOT_JSON)
    encoding = header(scope, b"content-encoding")
    if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
        # The platform sends plain JSON; decoding (and bounding a decompression) is not worth
        # what it would open. Name the encoding so the sender knows what to change.
        shown = encoding.decode("latin-1")[:64].encode("unicode_escape").decode("ascii")
        raise RequestError(
            415,
            ErrorId.UNSUPPORTED_MEDIA_TYPE,
            f"Content-Encoding {shown!r} is not supported; send the JSON body uncompressed.",
        )


async def read_body(
    scope: Scope,
    receive: Any,
    limit: int,
    timeout: float | None = None,  # noqa: ASYNC109 - a per-call setting
) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes (never buffered
    past it), and with 408 when it takes longer than ``timeout`` seconds to arrive (a client
    sending slowly must not hold the call open forever)."""
    if timeout is None:
        return await _read_body(scope, receive, limit)
    try:
        # Most bodies have arrived with the headers: no timer is armed for them.
        return await run_with_deadline(_read_body(scope, receive, limit), timeout)
    except TimeoutError:
        raise RequestError(
            408, ErrorId.BODY_TIMEOUT, f"The request body did not arrive within {timeout:g} s."
        ) from None


async def _read_body(scope: Scope, receive: Any, limit: int) -> bytes:
    declared = header(scope, b"content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise RequestError(
                400, ErrorId.BAD_REQUEST, "Content-Length is not a number."
            ) from None
        if size > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestError(
                400, ErrorId.CLIENT_DISCONNECTED, "The client went away mid-request."
            )
        chunk = message.get("body", b"")
        if chunk:
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def too_large(limit: int) -> RequestError:
    return RequestError(
        413,
        ErrorId.BODY_TOO_LARGE,
        f"Request body larger than {limit} bytes. Raise Receiver(max_body_size=...) if real"
        " payloads are this large.",
    )


async def send_json(
    send: Any,
    status: int,
    body: bytes,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
