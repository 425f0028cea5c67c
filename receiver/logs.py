"""Logging defaults: the call line appears under any server, unless the app set logging up.

Libraries leave logging to the application; uvicorn configures its own loggers and nothing
else. We do as uvicorn does for ours: at startup, when neither the ``receiver`` loggers nor the
root logger have a handler, one is attached to stderr in the chosen format (``RECEIVER_LOG_FORMAT``
or ``Receiver(log_format=...)``): ``text`` (a time, the level, the logger and the message) or
``json`` (one JSON object a line, python-json-logger). When the application configured logging,
nothing is touched. ``off`` turns the call line off in both cases.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json", "off"]
LOG_FORMATS: Final[tuple[LogFormat, ...]] = ("text", "json", "off")

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The JSON line: these, then every field the record carries (the call line's: webhook_id,
# webhook_type, object_id, status, outcome, duration_ms, reason, request_id).
JSON_FIELDS: Final = ("asctime", "levelname", "name", "message")

_ROOT_LOGGER: Final = "receiver"
_CALLS_LOGGER: Final = "receiver.calls"


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler this module attaches (so that it is recognised, and attached once)."""


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter of ``log_format`` (``text`` or ``json``)."""
    if log_format == "json":
        return JsonFormatter(
            list(JSON_FIELDS), rename_fields={"levelname": "level", "name": "logger"}
        )
    return logging.Formatter(TEXT_FORMAT)


def logging_configured() -> bool:
    """Whether the application set logging up: a handler on the root logger or ours."""
    names = ("", _ROOT_LOGGER, _CALLS_LOGGER)
    return any(
        handler
        for name in names
        for handler in logging.getLogger(name).handlers
        if not isinstance(handler, _OurHandler)
    )


def install_default_logging(log_format: LogFormat) -> bool:
    """Attach the default handler unless logging is configured; True when ours is in place.
    ``off`` turns the call line off (the other ``receiver`` lines stay as configured)."""
    calls = logging.getLogger(_CALLS_LOGGER)
    if log_format == "off":
        calls.setLevel(logging.WARNING)
        return False
    if logging_configured():
        return False
    receiver = logging.getLogger(_ROOT_LOGGER)
    ours = next((h for h in receiver.handlers if isinstance(h, _OurHandler)), None)
    if ours is None:
        ours = _OurHandler(sys.stderr)
        receiver.addHandler(ours)
    ours.setFormatter(formatter(log_format))
    receiver.propagate = False  # as uvicorn does for its own loggers: no line twice
    if receiver.level == logging.NOTSET:  # a level chosen elsewhere (--log-level) is kept
        receiver.setLevel(logging.INFO)
    return True
