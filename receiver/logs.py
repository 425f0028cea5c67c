"""Logging defaults: the call line appears under any server, unless the app set logging up.

Libraries leave logging to the application; uvicorn configures its own loggers and nothing
else. We do as uvicorn does for ours: at startup, when neither the ``receiver`` loggers nor the
root logger have a handler, one is attached to stderr in the chosen format (``RECEIVER_LOG_FORMAT``
or ``Receiver(log_format=...)``): ``text`` (a time, the level, the logger and the message) or
``json`` (one JSON object a line, python-json-logger). When the application configured logging,
nothing is touched. ``off`` turns the call line off in both cases.

The call line is written on every call, so while our handler is the only place it goes (the
default), :func:`direct_writer` lets it skip the ``LogRecord``: :meth:`DefaultHandler.write`
takes the call's values, and at the end of the event loop's turn the lines are made exactly as
the handler's formatter would make them (tests compare the two) and written in one write. Any
other configuration (a filter, another handler, a level on the handler, a formatter of the
user's) takes the ordinary path.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, Final, Literal

from pythonjsonlogger.json import JsonFormatter

from receiver._running import running_loop

LogFormat = Literal["text", "json", "off"]
# What makes a line taken by DefaultHandler.write: (values, json) -> (message, fields or None).
Render = Callable[[tuple[Any, ...], bool], tuple[str, dict[str, Any] | None]]
LOG_FORMATS: Final[tuple[LogFormat, ...]] = ("text", "json", "off")

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The JSON line: these, then every field the record carries (the call line's: webhook_id,
# webhook_type, object_id, status, outcome, duration_ms, reason, request_id).
JSON_FIELDS: Final = ("asctime", "levelname", "name", "message")

_ROOT_LOGGER: Final = "receiver"
_CALLS_LOGGER: Final = "receiver.calls"


class DefaultHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler this module attaches (so that it is recognised, and attached once). It can
    also take a line without a ``LogRecord`` (:meth:`write`); such lines are written together
    at the end of the event loop's turn, one write for all the calls that ended in it, and
    before any other line this handler writes (order is kept)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._ours: logging.Formatter | None = None
        self.json = False
        # (second, converter, that second as the formatter writes it, before the milliseconds)
        self._second: tuple[int, Callable[..., Any] | None, str] = (-1, None, "")
        self._pending: list[tuple[int, str, Render, tuple[Any, ...]]] = []
        self._encode: Callable[[Any], str] = json.dumps

    def use(self, log_format: LogFormat) -> None:
        ours = self._ours = formatter(log_format)
        self.json = isinstance(ours, JsonFormatter)
        if isinstance(ours, JsonFormatter):
            # What jsonify_log_record does (json.dumps with the formatter's encoder and
            # options), the encoder made once instead of on every line.
            encoder = ours.json_encoder or json.JSONEncoder  # what json.dumps uses for None
            self._encode = encoder(
                default=ours.json_default,
                indent=ours.json_indent,
                ensure_ascii=ours.json_ensure_ascii,
            ).encode
        self.setFormatter(ours)

    def write(self, logger: str, render: Render, values: tuple[Any, ...]) -> bool:
        """Take an INFO line of ``logger``: ``render(values, json)`` gives its message (and, in
        JSON, its fields), made and written as ``handle(record)`` would with the time of this
        call; False (nothing taken) when the formatter is no longer ours. Within a running event
        loop the lines are made and written together at the end of the loop's turn."""
        ours = self._ours
        if ours is None or self.formatter is not ours:
            return False
        item = (time.time_ns(), logger, render, values)
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            pending = self._pending
            pending.append(item)
            if len(pending) > 1:
                return True  # a write is already due
        try:
            loop = running_loop()
        except RuntimeError:  # no loop runs here: now
            self._write_pending()
        else:
            loop.call_soon(self._write_pending)
        return True

    def join_turn(self, logger: str, render: Render, values: tuple[Any, ...]) -> bool:
        """Take a line as :meth:`write` does, if lines are already waiting for the end of this
        turn of the loop (the checks of :func:`direct_writer` and :meth:`write` held for the
        first of them); False otherwise."""
        with self.lock:  # type: ignore[union-attr]
            pending = self._pending
            if not pending:
                return False
            pending.append((time.time_ns(), logger, render, values))
            return True

    def _write_pending(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if not self._pending:
                return
            items, self._pending = self._pending, []
            text = ""
            try:
                text = "".join(map(self._line, items))
                self.stream.write(text)
                super().flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": text or "call lines"}))

    def _line(self, item: tuple[int, str, Render, tuple[Any, ...]]) -> str:
        created, logger, render, values = item
        ours = self._ours
        assert ours is not None  # set before any line was taken
        asctime = self._asctime(ours, created)
        message, fields = render(values, self.json)
        if self.json:
            data = {"asctime": asctime, "level": "INFO", "logger": logger, "message": message}
            if fields:
                data.update(fields)
            return self._encode(data) + self.terminator
        return f"{asctime} INFO {logger}: {message}{self.terminator}"

    def emit(self, record: logging.LogRecord) -> None:
        self._write_pending()  # the lines before this one first
        super().emit(record)

    def flush(self) -> None:
        # logging.shutdown() flushes every handler at exit: no line is left behind.
        self._write_pending()
        super().flush()

    def _asctime(self, ours: logging.Formatter, created: int) -> str:
        """``created`` (ns) as ``Formatter.formatTime`` writes it (the date and time of the
        formatter's converter, then the milliseconds): strftime only when the second changes."""
        second, rest = divmod(created, 1_000_000_000)
        converter = ours.converter
        cached = self._second
        if cached[0] != second or cached[1] is not converter:
            text = time.strftime(ours.default_time_format, converter(second))
            cached = self._second = (second, converter, text)
        return ours.default_msec_format % (cached[2], rest // 1_000_000)  # type: ignore[operator]


def direct_writer(logger: logging.Logger) -> DefaultHandler | None:
    """Our handler, when an INFO line of ``logger`` (a child of ``receiver``) would reach it and
    nothing else: no handler or filter on the way, our handler alone, unfiltered, open to INFO.
    The caller checked ``logger.isEnabledFor(INFO)``."""
    parent = logger.parent
    if (
        logger.handlers
        or logger.filters
        or not logger.propagate
        or logger.disabled
        or parent is None
        or parent.name != _ROOT_LOGGER
        or parent.filters
        or parent.propagate
        or len(parent.handlers) != 1
    ):
        return None
    handler = parent.handlers[0]
    if type(handler) is not DefaultHandler or handler.filters or handler.level > logging.INFO:
        return None
    return handler


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
        if not isinstance(handler, DefaultHandler)
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
    ours = next((h for h in receiver.handlers if isinstance(h, DefaultHandler)), None)
    if ours is None:
        ours = DefaultHandler(sys.stderr)
        receiver.addHandler(ours)
    ours.use(log_format)
    receiver.propagate = False  # as uvicorn does for its own loggers: no line twice
    if receiver.level == logging.NOTSET:  # a level chosen elsewhere (--log-level) is kept
        receiver.setLevel(logging.INFO)
    return True
