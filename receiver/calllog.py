r"""The call line: one INFO line on the ``receiver.calls`` logger for every call, with the call
record's fields as the record's attributes (``webhook_id``, ``webhook_type``, ``object_id``,
``status``, ``outcome``, ``duration_ms``, ``request_id``, ``reason``: why the call was refused
or failed, else None).

What comes from the request reaches a log line through :func:`log_field`: control characters
escaped (a newline in an object id cannot forge a line), and bounded in length.

    >>> log_field("ORD-1\nINFO forged line")
    'ORD-1\\nINFO forged line'
    >>> log_field("X" * 300)[-16:]
    'XX...(300 chars)'
"""

from __future__ import annotations

import logging
from typing import Any, Final

from receiver.logs import DefaultHandler, direct_writer
from receiver.types import WebhookType

call_logger: Final = logging.getLogger("receiver.calls")

MAX_LOG_FIELD: Final = 200

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators, as escapes.
_CONTROLS: Final = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def log_field(value: str) -> str:
    """``value`` safe for one log line: controls escaped, at most :data:`MAX_LOG_FIELD`
    characters of it kept (the length said when cut)."""
    if len(value) > MAX_LOG_FIELD:
        said = f"...({len(value)} chars)"
        value = value[: MAX_LOG_FIELD - len(said)] + said
    return value.translate(_CONTROLS)


_FORMAT: Final = (
    "call webhook_id=%s type=%s object_id=%s status=%d outcome=%s duration_ms=%.1f"
    ' request_id=%s reason="%s"'
)


def log_call(
    webhook_id: str | None,
    webhook_type: WebhookType | None,
    object_id: str | None,
    status: int,
    outcome: str,
    duration: float,
    request_id: str,
    reason: str | None,
) -> None:
    """Write the line. When the default handler is the only place it goes, the handler takes
    the call's values and makes the line later, with the other lines of the loop's turn
    (:func:`receiver.logs.direct_writer`; the same text). Otherwise the line is made as
    ``call_logger.info`` makes it (makeRecord, then handle: level, filters, handlers,
    propagation) less the stack walk that finds the caller: the line always comes from here,
    and on the hot path the walk cost 5-8% of a call."""
    global _last_writer
    values = (webhook_id, webhook_type, object_id, status, outcome, duration, request_id, reason)
    # Most calls end in a turn of the loop whose first call line already waits: the checks
    # below held for it, and this line joins it.
    last = _last_writer
    if last is not None and last.join_turn(_NAME, _render, values):
        return
    if not call_logger.isEnabledFor(logging.INFO):
        return
    writer = _last_writer = direct_writer(call_logger)
    if writer is not None:
        try:
            if writer.write(_NAME, _render, values):
                return
        except Exception:  # noqa: S110 - the ordinary path below reports it (handleError)
            pass
    args, fields = _args_and_fields(values)
    record = call_logger.makeRecord(
        call_logger.name, logging.INFO, __file__, _LINE, _FORMAT, args, None, "log_call", fields
    )
    call_logger.handle(record)


def _args_and_fields(
    values: tuple[Any, ...], with_fields: bool = True
) -> tuple[tuple[Any, ...], dict[str, Any] | None]:
    """The record's arguments (of :data:`_FORMAT`) and its own attributes (the JSON line's
    fields; None unless ``with_fields``), request values escaped."""
    webhook_id, webhook_type, object_id, status, outcome, duration, request_id, reason = values
    duration_ms = duration * 1000
    if object_id is not None:
        object_id = log_field(object_id)
    if reason is not None:
        reason = log_field(reason)
    args = (
        webhook_id or "-",
        webhook_type or "-",
        object_id or "-",
        status,
        outcome,
        duration_ms,
        request_id,
        reason or "",
    )
    if not with_fields:
        return args, None
    fields = {
        "webhook_id": webhook_id,
        "webhook_type": webhook_type,
        "object_id": object_id,
        "status": status,
        "outcome": outcome,
        "duration_ms": round(duration_ms, 3),
        "request_id": request_id,
        "reason": reason,
    }
    return args, fields


def _render(values: tuple[Any, ...], json: bool) -> tuple[str, dict[str, Any] | None]:
    """The message of the line (and its fields, for JSON), for the default handler."""
    args, fields = _args_and_fields(values, json)
    return _FORMAT % args, fields


_LINE: Final = log_call.__code__.co_firstlineno
_NAME: Final = call_logger.name
# The default handler the last line was written to directly (see log_call).
_last_writer: DefaultHandler | None = None
