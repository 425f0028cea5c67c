"""``receiver demo`` and ``receiver simulate`` as Python functions."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from receiver.platform import WebhooksClient
from receiver.simulator import demo, run_demo, serve_simulator
from receiver.simulator.demo import CASES, Row, check, format_table

pytestmark = pytest.mark.slow


README = Path(__file__).parents[2] / "README.md"


@pytest.fixture(scope="module")
def demo_output() -> str:
    """What ``receiver demo`` prints, from one run shared by the tests that read it."""
    out = io.StringIO()
    started = time.monotonic()
    code = run_demo(out=out)
    text = out.getvalue()
    assert code == 0, text
    assert time.monotonic() - started < 30
    return text


def test_the_demo_runs_and_every_outcome_is_as_expected(demo_output: str) -> None:
    text = demo_output
    assert "Every outcome was as expected" in text
    for fragment in (
        "accepted",
        "refused",
        "parameters.ordering[companyName].error = ACME001: Company name is required.",
        "price.unitPP: 100.0 -> 90.0",
        "error = ACME002: Change orders are not supported yet",
        "GatewayTimeout (no answer)",
        "401 Unauthorized",
        "no_webhook",
        '"failuresSinceLastSuccess": 1',
        '"httpStatusCode": "GatewayTimeout"',
    ):
        assert fragment in text, fragment
    assert "Authorization" not in text  # no headers, no tokens in the printout


def printed_table(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("ORDER "))
    end = lines.index("", start)
    return lines[start:end]


def test_the_readme_shows_the_table_the_demo_prints(demo_output: str) -> None:
    # The README's copy, where "..." stands for a part left out of a long cell: row for row,
    # column for column what the demo prints, so the two cannot drift apart.
    readme = README.read_text()
    block = readme[readme.index("```\nORDER ") + 4 :]
    shown = block[: block.index("```")].splitlines()
    printed = printed_table(demo_output)
    assert len(shown) == len(printed), "\n".join(printed)
    for shown_line, printed_line in zip(shown, printed, strict=True):
        pattern = ".*?".join(re.escape(part) for part in shown_line.split("..."))
        assert re.fullmatch(pattern, printed_line), f"README:\n{shown_line}\ndemo:\n{printed_line}"


def test_keep_running_waits_for_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def interrupt() -> None:
        # What the user sees while the demo waits: the dashboard answers.
        url = out.getvalue().split("Dashboard: ", 1)[1].split()[0]
        seen.append(httpx.get(url).text)

    out = io.StringIO()
    monkeypatch.setattr(demo, "_wait_for_interrupt", interrupt)
    monkeypatch.setattr(demo, "CASES", CASES[:1])  # one order is enough here

    assert run_demo(keep_running=True, out=out) == 0
    assert "Press Ctrl-C to stop" in out.getvalue()
    assert "MPT platform simulator" in seen[0]


def test_wait_for_interrupt_returns_on_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)

    demo._wait_for_interrupt()


def test_unexpected_outcomes_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[1]  # refused at a parameter
    rows = [Row(case, status=400, outcome="accepted", webhook_type=None, vendor="OK")]

    problems = check(rows)

    assert problems == [
        "refused at a parameter: outcome accepted, expected refused.",
        "refused at a parameter: the caller got 400, expected 200.",
        "refused at a parameter: no change at parameters.ordering[companyName].error.",
    ]
    out = io.StringIO()
    monkeypatch.setattr(demo, "CASES", (CASES[0],))
    monkeypatch.setattr(demo, "check", lambda rows: ["something went wrong."])
    assert run_demo(out=out) == 1
    assert "1 unexpected outcome(s):\n  - something went wrong." in out.getvalue()


def test_the_table_lines_up() -> None:
    rows = [
        Row(CASES[0], 200, "accepted", "ValidatePurchaseOrderDraft", "OK", vendor_status=200),
        Row(CASES[6], 200, "no_webhook", None, None),
    ]

    table = format_table(rows).splitlines()

    assert table[0].startswith("ORDER")
    assert table[1].index("ValidatePurchaseOrderDraft") == table[0].index("WEBHOOK TYPE")
    assert "200 OK" in table[1]


def test_serve_simulator_prints_the_token_and_serves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    servers: list[uvicorn.Server] = []
    original_init = uvicorn.Server.__init__

    def capture(self: uvicorn.Server, config: uvicorn.Config) -> None:
        original_init(self, config)
        servers.append(self)

    monkeypatch.setattr(uvicorn.Server, "__init__", capture)
    out = io.StringIO()
    kwargs: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "db": tmp_path / "sim.db",
        "token": "serve-token",
        "allow_http": True,
        "call_timeout": 3.0,
        "out": out,
    }
    thread = threading.Thread(target=serve_simulator, kwargs=kwargs, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not (servers and servers[0].started) and time.monotonic() < deadline:
        time.sleep(0.01)
    banner = out.getvalue()
    url = banner.split("MPT platform simulator on ", 1)[1].split()[0]
    health = httpx.get(f"{url}/healthz")
    servers[0].should_exit = True
    thread.join(10)

    assert health.json() == {"status": "ok"}
    assert "API token    serve-token" in banner
    assert f"dashboard    {url}/" in banner
    assert str(tmp_path / "sim.db") in banner
    assert "http:// to loopback allowed; call timeout 3 s" in banner
    assert f"MPT_API_BASE_URL={url} MPT_API_TOKEN=serve-token" in banner
    assert "WARNING" not in banner
    assert not thread.is_alive()


def test_serve_simulator_warns_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    out = io.StringIO()

    serve_simulator(host="0.0.0.0", port=0, out=out)  # noqa: S104 - the point of the test

    assert "WARNING: listening on 0.0.0.0, not loopback" in out.getvalue()
    assert "add --allowed-host NAME for each name" in out.getvalue()
    assert "database     in memory" in out.getvalue()


def test_the_demo_registers_its_webhooks_with_the_platform_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created: list[str] = []
    create = WebhooksClient.create

    def recording(self: WebhooksClient, *args: Any, **kwargs: Any) -> Any:
        webhook = create(self, *args, **kwargs)
        created.append(f"{webhook.type} {webhook.object.id if webhook.object else '?'}")
        return webhook

    monkeypatch.setattr(WebhooksClient, "create", recording)
    monkeypatch.setattr(demo, "CASES", CASES[:1])

    assert run_demo(out=io.StringIO()) == 0
    assert created == [
        "ValidatePurchaseOrderDraft PRD-1111-1111",
        "ValidateChangeOrderDraft PRD-1111-1111",
        "ValidateTerminateOrder PRD-1111-1111",
        "ValidatePurchaseOrderDraft PRD-2222-2222",
    ]
