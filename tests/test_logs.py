"""Logs that always appear: the call line reaches stderr under plain uvicorn, in text or JSON,
unless the application set logging up; RECEIVER_LOG_FORMAT=off turns it off."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver import calllog, logs, tokens
from receiver.types import WebhookType
from receiver.wire import Outcome
from tests.conftest import SECRET, WEBHOOK_ID, auth, load_fixture, stop_process

ROOT = Path(__file__).resolve().parent.parent

# One process per case: logging is process-wide state.
SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, sys
    import httpx
    from receiver import Order, Receiver
    from tests.conftest import SECRET, WEBHOOK_ID, load_fixture, pyjwt_token

    if "--configured" in sys.argv:
        logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="MINE %(message)s")
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check(order: Order) -> Order:
        return order

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
            order = load_fixture("order_purchase_full.json")
            order["id"] = "ORD-1\\nforged line"
            headers = {"Authorization": "Bearer " + pyjwt_token(), "X-Request-Id": "req-7"}
            await client.post("/", json=order, headers=headers)
            await client.post("/", json=order, headers={"Authorization": "Bearer x.y.z"})

    asyncio.run(main())
    """
)


def run(*args: str, log_format: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIVER_")}
    if log_format is not None:
        env["RECEIVER_LOG_FORMAT"] = log_format
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_text_lines_appear_on_stderr_by_default() -> None:
    result = run()
    lines = [line for line in result.stderr.splitlines() if " receiver.calls: call " in line]
    assert len(lines) == 2
    assert f"webhook_id={WEBHOOK_ID}" in lines[0]
    assert "object_id=ORD-1\\nforged line" in lines[0]  # escaped: still one line
    assert "request_id=req-7" in lines[0]
    assert "status=401" in lines[1]
    assert 'reason="Malformed token' in lines[1]
    assert result.stdout == ""
    assert SECRET not in result.stderr


def test_json_lines_carry_every_field_of_the_call() -> None:
    result = run(log_format="json")
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    calls = [record for record in records if record.get("logger") == "receiver.calls"]
    assert len(calls) == 2
    accepted, refused = calls
    assert accepted["level"] == "INFO"
    assert accepted["webhook_id"] == WEBHOOK_ID
    assert accepted["webhook_type"] == "ValidatePurchaseOrderDraft"
    assert accepted["object_id"] == "ORD-1\\nforged line"
    assert (accepted["status"], accepted["outcome"]) == (200, "accepted")
    assert accepted["request_id"] == "req-7"
    assert accepted["reason"] is None
    assert isinstance(accepted["duration_ms"], float)
    assert (refused["status"], refused["outcome"]) == (401, "unauthorized")
    assert refused["reason"].startswith("Malformed token")
    assert len(refused["request_id"]) == 32


def test_off_writes_no_call_line() -> None:
    result = run(log_format="off")
    assert "receiver.calls" not in result.stderr
    assert "call webhook_id=" not in result.stderr


def test_configured_logging_is_left_alone() -> None:
    result = run("--configured")
    assert "MINE call webhook_id=" in result.stdout
    assert "call webhook_id=" not in result.stderr


def test_a_bad_format_is_refused_with_its_variable() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        run(log_format="yaml")
    assert "RECEIVER_LOG_FORMAT: log_format must be 'text', 'json' or 'off'" in failed.value.stderr


@pytest.mark.slow
def test_the_quick_start_under_plain_uvicorn_logs_one_line_per_call(tmp_path: Path) -> None:
    """The README's Quick start, served with the README's `uvicorn acme:app`: each call writes
    its line to stderr with no logging set up by the app."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1]
    code = quick_start.split("```python\n", 1)[1].split("```", 1)[0]
    assert code.startswith("# acme.py")
    (tmp_path / "acme.py").write_text(code, encoding="utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIVER_")}
    env["PYTHONPATH"] = str(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "acme:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        token = tokens.sign("the-webhook-secret", tokens.platform_claims("WBH-5433-8787"))
        order = load_fixture("order_purchase_full.json")
        for _ in range(3):
            answer = httpx.post(
                f"http://127.0.0.1:{port}/", json=order, headers=auth(token), timeout=10
            )
            assert answer.status_code == 200
    finally:
        stderr = stop_process(server, timeout=10)
    lines = [line for line in stderr.splitlines() if "call webhook_id=WBH-5433-8787" in line]
    assert len(lines) == 3, stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


# -- The direct path: the call line written by the default handler without a LogRecord ---------

FIXED_NS = 1_778_584_271_500_000_000  # 2026-05-12 11:11:11.5 UTC


@pytest.fixture
def default_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[logs.DefaultHandler]:
    """The default logging installed on a fresh handler writing to a StringIO, at a fixed time;
    the loggers' state is restored afterwards."""
    receiver, calls, root = (logging.getLogger(n) for n in ("receiver", "receiver.calls", ""))
    saved = [
        (lg, lg.handlers[:], lg.level, lg.propagate, lg.filters[:]) for lg in (receiver, calls)
    ]
    saved_root = root.handlers[:]
    for lg in (receiver, calls, root):
        lg.handlers.clear()
    calls.filters.clear()
    calls.setLevel(logging.NOTSET)
    receiver.setLevel(logging.INFO)  # as install_default_logging sets it
    receiver.propagate = False
    monkeypatch.setattr(time, "time_ns", lambda: FIXED_NS)
    handler = logs.DefaultHandler(io.StringIO())
    receiver.addHandler(handler)
    try:
        yield handler
    finally:
        for lg, handlers, level, propagate, filters in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.filters[:] = filters
        root.handlers[:] = saved_root


def written(handler: logs.DefaultHandler) -> str:
    handler.flush()
    stream = handler.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


@contextlib.contextmanager
def alone(handler: logs.DefaultHandler) -> Iterator[None]:
    """``handler`` the only one on ``receiver`` (pytest attaches its capture handlers to loggers
    for each phase of a test), as when the default logging is installed."""
    receiver = logging.getLogger("receiver")
    saved = receiver.handlers[:]
    receiver.handlers[:] = [handler]
    try:
        yield
    finally:
        receiver.handlers[:] = saved


def expected_line(handler: logs.DefaultHandler, args: tuple[Any, ...]) -> str:
    """What the ordinary path writes for the same call at the same time: a LogRecord formatted
    by the handler's formatter."""
    line = io.StringIO()
    plain = logging.StreamHandler(line)
    plain.setFormatter(handler.formatter)
    record = logging.getLogger("receiver.calls").makeRecord(
        "receiver.calls", logging.INFO, calllog.__file__, 1, calllog._FORMAT, (), None, "log_call"
    )
    record.created = FIXED_NS / 1e9
    record.msecs = (FIXED_NS % 1_000_000_000) // 1_000_000
    # The record as log_call makes it, on the ordinary path (the direct path off).
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    calls = logging.getLogger("receiver.calls")
    capture = Capture()
    calls.addHandler(capture)  # another handler: the direct path is not taken
    try:
        calllog.log_call(*args)
    finally:
        calls.removeHandler(capture)
    (made,) = captured
    made.created, made.msecs = record.created, record.msecs
    plain.emit(made)
    handler.stream.seek(0)  # what log_call sent to the handler on the ordinary path: dropped
    handler.stream.truncate()
    return line.getvalue()


CALL_ARGS = st.tuples(
    st.one_of(st.none(), st.from_regex(r"WBH-\d{4}-\d{4}", fullmatch=True)),
    st.one_of(st.none(), st.sampled_from(["ValidatePurchaseOrderDraft", "ValidateAccount"])),
    st.one_of(st.none(), st.text(max_size=300)),
    st.sampled_from([200, 400, 401, 500, 503]),
    st.sampled_from(list(Outcome)),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.text(alphabet="0123456789abcdef", min_size=1, max_size=40),
    st.one_of(st.none(), st.text(min_size=1, max_size=300)),
)


@pytest.mark.parametrize("log_format", ["text", "json"])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=CALL_ARGS)
def test_the_direct_line_is_what_the_formatter_writes(
    default_handler: logs.DefaultHandler, log_format: logs.LogFormat, args: tuple[Any, ...]
) -> None:
    """Differential: every call line written directly equals the LogRecord formatted by the
    handler's own formatter (logging's for text, python-json-logger's for JSON)."""
    default_handler.use(log_format)
    webhook_type = WebhookType(args[1]) if args[1] is not None else None
    call = (args[0], webhook_type, *args[2:])
    with alone(default_handler):
        expected = expected_line(default_handler, call)
        assert logs.direct_writer(calllog.call_logger) is default_handler
        calllog.log_call(*call)
        assert written(default_handler) == expected
    default_handler.stream.seek(0)
    default_handler.stream.truncate()


def call_line(object_id: str = "ORD-1") -> None:
    calllog.log_call("WBH-1-1", None, object_id, 200, Outcome.ACCEPTED, 0.001, "req-1", None)


def test_in_a_loop_lines_go_out_together_at_the_end_of_its_turn_and_in_order(
    default_handler: logs.DefaultHandler,
) -> None:
    default_handler.use("text")
    stream = default_handler.stream
    writes: list[str] = []
    original = stream.write

    def counted(text: str) -> int:
        writes.append(text)
        return int(original(text))

    stream.write = counted

    async def calls() -> None:
        call_line("ORD-1")
        call_line("ORD-2")
        assert stream.getvalue() == ""  # nothing written while the turn goes on
        logging.getLogger("receiver").error("an error after two calls")
        await asyncio.sleep(0)
        call_line("ORD-3")
        await asyncio.sleep(0)

    with alone(default_handler):
        asyncio.run(calls())
    lines = stream.getvalue().splitlines()
    assert "object_id=ORD-1" in lines[0]
    assert "object_id=ORD-2" in lines[1]
    assert lines[2].endswith("an error after two calls")  # after the lines before it
    assert "object_id=ORD-3" in lines[3]
    assert len(writes) == 3  # ORD-1 and ORD-2 in one write, the error, ORD-3


def test_outside_a_loop_the_line_is_written_at_once(default_handler: logs.DefaultHandler) -> None:
    default_handler.use("json")
    with alone(default_handler):
        call_line()
    assert json.loads(default_handler.stream.getvalue())["object_id"] == "ORD-1"


def test_a_line_still_pending_when_the_loop_stops_is_written_by_flush(
    default_handler: logs.DefaultHandler,
) -> None:
    """logging.shutdown() flushes every handler at exit: a line whose turn never ended (the loop
    stopped) is not lost."""
    default_handler.use("text")

    async def call_then_stop() -> None:
        call_line()
        asyncio.get_running_loop().stop()

    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(call_then_stop())
        with alone(default_handler):
            loop.run_forever()
        assert task.done()
    finally:
        loop.close()
    assert "object_id=ORD-1" in written(default_handler)


@pytest.mark.parametrize(
    "change",
    [
        "handler filter",
        "handler level",
        "calls filter",
        "second handler",
        "user formatter",
        "propagate",
    ],
)
def test_any_other_configuration_takes_the_ordinary_path(
    default_handler: logs.DefaultHandler, change: str
) -> None:
    """The direct path is only for the default handler as installed: a filter, a level, a
    formatter or a handler of the user's is obeyed as logging would."""
    default_handler.use("text")
    receiver, calls = logging.getLogger("receiver"), logging.getLogger("receiver.calls")
    receiver.handlers[:] = [default_handler]  # pytest's capture handlers aside (see alone)
    other = io.StringIO()
    if change == "handler filter":
        default_handler.addFilter(lambda record: False)
    elif change == "handler level":
        default_handler.setLevel(logging.WARNING)
    elif change == "calls filter":
        calls.addFilter(lambda record: False)
    elif change == "second handler":
        receiver.addHandler(logging.StreamHandler(other))
    elif change == "user formatter":
        default_handler.setFormatter(logging.Formatter("USER %(message)s"))
    elif change == "propagate":
        receiver.propagate = True
        logging.getLogger().addHandler(logging.StreamHandler(other))
    assert logs.direct_writer(calls) is None or change == "user formatter"
    call_line()
    text = written(default_handler)
    if change in ("handler filter", "handler level", "calls filter"):
        assert text == ""
    elif change == "user formatter":
        assert text.startswith("USER call webhook_id=")
    else:
        assert "call webhook_id=" in text
        assert "call webhook_id=" in other.getvalue()
    for handler in receiver.handlers[1:]:
        receiver.removeHandler(handler)
