"""receiver.serving: uvicorn's options, the SIGTERM handling and the development certificate of
``receiver serve``, called from Python; and the module's example, run as a real server."""

from __future__ import annotations

import re
import signal
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
import uvicorn

import receiver.serving
from receiver import Receiver
from receiver._loader import AppLoadError, AppSpec, LoadedApp
from receiver._protocol import BoundedHeadProtocol
from receiver._tls import ensure_dev_certificate
from receiver.errors import ConfigurationError
from receiver.serving import (
    log_config,
    prepare,
    serve,
    server_options,
    server_url,
    settings_notes,
    sigterm_exits_zero,
)
from receiver.settings import Settings
from tests.conftest import imports_undone, stop_process

REPO = Path(__file__).resolve().parent.parent
BOUND = 30.0  # seconds any wait in this file may take at most
APP_SOURCE = """\
from receiver import Receiver

app = Receiver(secrets={"WBH-0000-0001": "x" * 32})
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """``acme.py`` in the current directory; ``uvicorn.run`` records its arguments and the
    SIGTERM handler it runs under instead of serving. Imports made by the test are undone."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "acme.py").write_text(APP_SOURCE)
    monkeypatch.chdir(project)
    monkeypatch.setenv("RECEIVER_TLS_DIR", str(tmp_path / "tls"))
    calls: list[dict[str, Any]] = []

    def run(**kwargs: Any) -> None:
        calls.append({**kwargs, "sigterm_handler": signal.getsignal(signal.SIGTERM)})

    monkeypatch.setattr(uvicorn, "run", run)
    with imports_undone():
        yield calls


# -- the pieces -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "tls", "url"),
    [
        pytest.param("127.0.0.1", False, "http://127.0.0.1:8080", id="ipv4"),
        pytest.param("::1", True, "https://[::1]:8080", id="ipv6"),
        pytest.param("localhost", True, "https://localhost:8080", id="name"),
    ],
)
def test_server_url(host: str, tls: bool, url: str) -> None:
    assert server_url(host, 8080, tls=tls) == url


def test_log_config_does_not_change_uvicorns() -> None:
    from uvicorn.config import LOGGING_CONFIG

    config = log_config("debug")
    assert config["loggers"]["receiver"]["level"] == "DEBUG"
    assert "receiver" not in LOGGING_CONFIG["loggers"]
    assert config["loggers"]["uvicorn"] == LOGGING_CONFIG["loggers"]["uvicorn"]


def test_server_options_from_python(tmp_path: Path) -> None:
    loaded = LoadedApp(Receiver(), AppSpec("acme", "app", str(tmp_path), None, "acme"), False)
    options = server_options(loaded, reload=True)
    assert options["app"] == "acme:app"
    assert options["reload_dirs"] == [str(tmp_path)]
    with pytest.raises(ConfigurationError, match="--reload and --workers 2 cannot be combined"):
        server_options(loaded, reload=True, workers=2)


def test_server_options_check_the_graceful_timeout() -> None:
    loaded = LoadedApp(Receiver(), AppSpec("acme", "app", str(REPO), None, "acme"), False)
    assert server_options(loaded)["timeout_graceful_shutdown"] == 30.0
    assert server_options(loaded, graceful_timeout=3)["timeout_graceful_shutdown"] == 3.0
    with pytest.raises(ConfigurationError, match="--graceful-timeout must be a finite number"):
        server_options(loaded, graceful_timeout=0)


def test_server_options_have_production_defaults() -> None:
    loaded = LoadedApp(Receiver(), AppSpec("acme", "app", str(REPO), None, "acme"), False)
    options = server_options(loaded)
    assert options["http"] is BoundedHeadProtocol  # request heads over 64 KiB get 431
    assert (options["limit_concurrency"], options["timeout_keep_alive"]) == (1000, 15.0)
    assert options["backlog"] == 2048
    chosen = server_options(loaded, limit_concurrency=50, keep_alive=2)
    assert (chosen["limit_concurrency"], chosen["timeout_keep_alive"]) == (50, 2.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit_concurrency": 0}, "--limit-concurrency must be a whole number"),
        ({"limit_concurrency": True}, "--limit-concurrency must be a whole number"),
        ({"keep_alive": 0}, "--keep-alive must be a positive number of seconds"),
        ({"keep_alive": float("inf")}, "--keep-alive must be a positive number of seconds"),
    ],
)
def test_bad_server_limits_are_refused(options: dict[str, Any], message: str) -> None:
    loaded = LoadedApp(Receiver(), AppSpec("acme", "app", str(REPO), None, "acme"), False)
    with pytest.raises(ConfigurationError, match=message):
        server_options(loaded, **options)


def test_sigterm_exits_zero_while_serving() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_exits_zero():
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler), "no SIGTERM handler: raising the signal would kill pytest"
        with pytest.raises(SystemExit) as exited:
            signal.raise_signal(signal.SIGTERM)
    assert exited.value.code == 0
    assert signal.getsignal(signal.SIGTERM) is before


# -- serve() --------------------------------------------------------------------------------------


def test_serve_runs_uvicorn_as_the_command_does(
    project: list[dict[str, Any]], tmp_path: Path
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    notes: list[str] = []
    serve("acme", port=8443, log_level="DEBUG", tls_dev=True, graceful_timeout=5, note=notes.append)
    [options] = project
    assert options["app"] == "acme:app"
    assert options["app_dir"] == str(Path.cwd())
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8443, 1)
    assert options["log_level"] == "debug"
    assert options["log_config"]["loggers"]["receiver"]["level"] == "DEBUG"
    assert options["timeout_graceful_shutdown"] == 5.0
    assert options["ssl_certfile"] == str(tmp_path / "tls" / "cert.pem")
    assert options["ssl_keyfile"] == str(tmp_path / "tls" / "key.pem")
    assert options["sigterm_handler"] not in (before, signal.SIG_DFL, signal.SIG_IGN)
    assert signal.getsignal(signal.SIGTERM) is before
    until = ensure_dev_certificate(tmp_path / "tls").not_after
    assert notes[0] == (
        f"Development TLS certificate (created, valid until {until:%Y-%m-%d}, for localhost,"
        f" 127.0.0.1, ::1): {tmp_path / 'tls' / 'cert.pem'}"
    )
    assert notes[3] == "Receiver settings:"  # then one line per option
    assert len(notes) == 3 + 1 + len(Settings.model_fields)


def test_the_certificate_notes_go_to_stderr_by_default(
    project: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    options = prepare("acme:app", tls_dev=True)
    assert "ssl_certfile" in options
    assert project == []  # prepare() starts nothing
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Development TLS certificate (created, ")
    assert "Trust it with: curl --cacert " in err


def test_serve_refuses_reload_with_workers_before_importing(
    project: list[dict[str, Any]],
) -> None:
    with pytest.raises(ConfigurationError, match="--reload and --workers 2 cannot be combined"):
        serve("nothere:app", reload=True, workers=2)
    assert project == []


def test_serve_says_why_the_app_cannot_be_imported(project: list[dict[str, Any]]) -> None:
    with pytest.raises(AppLoadError, match="Module 'nothere' not found"):
        serve("nothere:app")
    assert project == []


def test_serve_says_where_to_put_the_certificate(
    project: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("RECEIVER_TLS_DIR", str(blocker / "tls"))
    with pytest.raises(ConfigurationError) as raised:
        serve("acme:app", tls_dev=True)
    assert str(raised.value) == (
        f"Cannot write the development certificate (Not a directory: {blocker / 'tls'});"
        " set RECEIVER_TLS_DIR to a writable directory."
    )
    assert project == []


# -- the module's example, for real -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def example_files() -> dict[str, str]:
    """The files of the example in receiver.serving's docstring, by name: each starts with a
    ``# name.py`` line."""
    doc = receiver.serving.__doc__ or ""
    example = textwrap.dedent(doc[doc.index("    # acme.py") : doc.index("\nThe app is")])
    files: dict[str, str] = {}
    for block in re.split(r"\n(?=# \w+\.py)", example):
        name = re.match(r"# (\w+\.py)", block)
        assert name is not None, block
        files[name.group(1)] = block.strip() + "\n"
    return files


def test_the_example_has_its_files() -> None:
    assert sorted(example_files()) == ["acme.py", "serve_acme.py"]


@pytest.mark.slow
def test_the_example_serves_and_stops_with_exit_code_zero(tmp_path: Path) -> None:
    port = free_port()
    for name, code in example_files().items():
        (tmp_path / name).write_text(code.replace("port=8080", f"port={port}"))
    process = subprocess.Popen(
        [sys.executable, "serve_acme.py"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + BOUND
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert answer is not None, f"not ready within {BOUND}s (exit {process.poll()})"
        assert answer.json() == {"status": "ok"}
    finally:
        stderr = stop_process(process, BOUND)
    assert process.returncode == 0, stderr
    assert "Started parent process" in stderr  # workers=2


def test_serve_prints_the_effective_settings_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECEIVER_DEADLINE", "3")
    token = "an-admin-token-that-must-not-show"
    lines = settings_notes(Receiver(admin_token=token, failure_policy="reject"))
    assert lines[0] == "Receiver settings:"
    assert "  deadline = 3.0  (RECEIVER_DEADLINE)" in lines
    assert "  failure_policy = 'reject'  (argument)" in lines
    assert "  admin_token = '***'  (argument)" in lines
    assert "  max_body_size = 5242880  (default)" in lines
    assert token not in "\n".join(lines)
    assert settings_notes(object()) == []
