"""Logs that always appear: the call line reaches stderr under plain uvicorn, in text or JSON,
unless the application set logging up; RECEIVER_LOG_FORMAT=off turns it off."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from receiver import tokens
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
