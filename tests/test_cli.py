"""The ``receiver`` command line: every command, option and error message.

``serve`` is tested with ``uvicorn.run`` captured (plus one real subprocess, marked slow);
``send`` against a real uvicorn on loopback, over HTTP and over HTTPS with the development
certificate.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import uvicorn
from click.testing import CliRunner, Result

from receiver import Order, Receiver, tokens
from receiver._tls import ensure_dev_certificate
from receiver.cli import main
from receiver.settings import Settings
from tests.conftest import imports_undone, stop_process

SECRET = "cli-test-secret-cli-test-secret-0001"
WEBHOOK_ID = "WBH-5433-8787"
BOUND = 15.0  # seconds any wait in this file may take at most
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - only passed to a captured uvicorn.run

Invoke = Callable[..., Result]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run ``receiver ARGS`` in-process, without the caller's RECEIVER_* environment."""
    for name in ("RECEIVER_SECRET", "RECEIVER_WEBHOOK_ID", "RECEIVER_TLS_DIR"):
        monkeypatch.delenv(name, raising=False)

    def run(
        *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return runner.invoke(main, list(args), input=input, env=env, prog_name="receiver")

    return run


def error_line(result: Result) -> str:
    """The last line of stderr: click's ``Error: ...``."""
    lines = result.stderr.splitlines()
    return lines[-1] if lines else ""


# -- the group --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(invoke: Invoke, flag: str) -> None:
    from importlib.metadata import version

    result = invoke(flag)
    assert result.exit_code == 0
    assert result.stdout == f"receiver {version('mpt-receiver')}\n"


@pytest.mark.parametrize(
    ("args", "example"),
    [
        pytest.param(["--help"], "receiver serve acme:app --tls-dev", id="group"),
        pytest.param(["-h"], "receiver samples", id="group-short"),
        pytest.param(["serve", "--help"], "receiver serve acme:app --tls-dev", id="serve"),
        pytest.param(["send", "--help"], "receiver send http://127.0.0.1:8080/ --type", id="send"),
        pytest.param(["token", "--help"], "TOKEN=$(receiver token --webhook-id", id="token"),
        pytest.param(["samples", "--help"], "receiver samples purchase", id="samples"),
    ],
)
def test_help_has_an_example(invoke: Invoke, args: list[str], example: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 0
    assert "Usage: receiver" in result.stdout
    assert example in result.stdout


def test_unknown_command(invoke: Invoke) -> None:
    result = invoke("srve")
    assert result.exit_code == 2
    assert error_line(result) == "Error: No such command 'srve'. Did you mean 'serve'?"


@pytest.mark.slow
def test_python_dash_m_runs_the_group() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "receiver.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("receiver ")


# -- serve ------------------------------------------------------------------------------------

APP_SOURCE = """\
from receiver import Receiver

app = Receiver(secrets={"WBH-0000-0001": "x" * 32})


def create_app():
    return Receiver()
"""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A project with ``acme.py`` as the current directory; ``uvicorn.run`` records its
    arguments instead of serving. Imports made by the test are undone after."""
    project = tmp_path / "project"
    (project / "hooks").mkdir(parents=True)
    (project / "acme.py").write_text(APP_SOURCE)
    (project / "hooks" / "__init__.py").write_text("")
    (project / "hooks" / "web.py").write_text(APP_SOURCE)
    monkeypatch.chdir(project)
    monkeypatch.setenv("RECEIVER_TLS_DIR", str(tmp_path / "tls"))
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda **kwargs: calls.append(kwargs))
    with imports_undone():
        yield calls


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["acme:app"],
            {"app": "acme:app", "host": "127.0.0.1", "port": 8080, "reload": False,
             "workers": 1, "log_level": "info", "access_log": False, "factory": False,
             "proxy_headers": False},
            id="defaults",
        ),
        pytest.param(["acme"], {"app": "acme:app"}, id="attribute-defaults-to-app"),
        pytest.param(["acme.py"], {"app": "acme:app"}, id="file"),
        pytest.param(["hooks/web.py:app"], {"app": "hooks.web:app"}, id="file-in-package"),
        pytest.param(["hooks.web:app"], {"app": "hooks.web:app"}, id="dotted-module"),
        pytest.param(["acme:app", "--host", ALL_INTERFACES, "--port", "9000"],
                     {"host": ALL_INTERFACES, "port": 9000}, id="host-port"),
        pytest.param(["acme:app", "--port", "0"], {"port": 0}, id="port-zero"),
        pytest.param(["acme:app", "--reload"], {"reload": True, "workers": 1}, id="reload"),
        pytest.param(["acme:app", "--workers", "4"], {"workers": 4, "reload": False},
                     id="workers"),
        pytest.param(["acme:app", "--reload", "--workers", "1"], {"reload": True, "workers": 1},
                     id="reload-with-one-worker"),
        pytest.param(["acme:app", "--log-level", "DEBUG"], {"log_level": "debug"},
                     id="log-level-any-case"),
        pytest.param(["acme:app", "--log-level", "trace"], {"log_level": "trace"},
                     id="log-level-trace"),
        pytest.param(["acme:app", "--access-log"], {"access_log": True}, id="access-log"),
        pytest.param(["acme:app", "--no-access-log"], {"access_log": False}, id="no-access-log"),
        pytest.param(["acme:app", "--proxy-headers"], {"proxy_headers": True}, id="proxy-headers"),
        pytest.param(["acme:create_app", "--factory"],
                     {"app": "acme:create_app", "factory": True}, id="factory"),
    ],
)  # fmt: skip
def test_serve_runs_uvicorn(
    invoke: Invoke, served: list[dict[str, Any]], args: list[str], expected: dict[str, Any]
) -> None:
    result = invoke("serve", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    [options] = served
    assert {name: options[name] for name in expected} == expected
    assert options["app_dir"] == str(Path.cwd())
    assert "ssl_certfile" not in options
    # The level only: the handler is the receiver's default one (receiver.logs).
    assert options["log_config"]["loggers"]["receiver"] == {"level": options["log_level"].upper()}
    assert ("reload_dirs" in options) is options["reload"]


def test_serve_reload_watches_the_app_directory(
    invoke: Invoke, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "far_app.py").write_text(APP_SOURCE)
    result = invoke("serve", str(elsewhere / "far_app.py"), "--reload")
    assert result.exit_code == 0, result.output
    [options] = served
    assert options["app"] == "far_app:app"
    assert options["app_dir"] == str(elsewhere)
    assert options["reload_dirs"] == [str(elsewhere)]


def test_serve_imports_the_app_before_starting(
    invoke: Invoke, served: list[dict[str, Any]]
) -> None:
    invoke("serve", "acme:app")
    assert "acme" in sys.modules
    assert sys.path[0] == str(Path.cwd())


@pytest.mark.parametrize(
    ("host", "url", "note"),
    [
        pytest.param("127.0.0.1", "https://127.0.0.1:8443", False, id="ipv4-loopback"),
        pytest.param("localhost", "https://localhost:8443", False, id="localhost"),
        pytest.param("::1", "https://[::1]:8443", False, id="ipv6-loopback"),
        pytest.param(ALL_INTERFACES, "https://localhost:8443", True, id="all-interfaces"),
    ],
)
def test_serve_tls_dev(
    invoke: Invoke, served: list[dict[str, Any]], tmp_path: Path, host: str, url: str, note: bool
) -> None:
    result = invoke("serve", "acme:app", "--tls-dev", "--host", host, "--port", "8443")
    assert result.exit_code == 0, result.output
    [options] = served
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    assert options["ssl_certfile"] == str(cert)
    assert options["ssl_keyfile"] == str(key)
    assert cert.is_file()
    assert key.is_file()
    until = ensure_dev_certificate(tmp_path / "tls").not_after
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"Development TLS certificate (created, valid until {until:%Y-%m-%d}, for localhost,"
        f" 127.0.0.1, ::1): {cert}"
    )
    assert lines[1] == f"Trust it with: curl --cacert {cert} {url}/healthz"
    assert lines[2] == (
        f"or: receiver send {url}/ --insecure ...   (never use this certificate in production)"
    )
    if note:
        assert lines[3] == (
            "Note: the certificate is valid for localhost, 127.0.0.1, ::1 only; clients that"
            f" reach {host} by another name must skip verification."
        )
    # Then the app's effective settings, one line each (receiver.serving.settings_notes).
    assert lines[3 + note] == "Receiver settings:"
    assert len(lines) == 3 + note + 1 + len(Settings.model_fields)
    assert result.stdout == ""


def test_serve_tls_dev_reuses_the_certificate(
    invoke: Invoke, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    first = invoke("serve", "acme:app", "--tls-dev")
    cert = (tmp_path / "tls" / "cert.pem").read_bytes()
    second = invoke("serve", "acme:app", "--tls-dev")
    assert "(created," in first.stderr
    assert "(reused," in second.stderr
    assert (tmp_path / "tls" / "cert.pem").read_bytes() == cert


def test_serve_tls_dir_not_writable(
    invoke: Invoke, served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("RECEIVER_TLS_DIR", str(blocker / "tls"))
    result = invoke("serve", "acme:app", "--tls-dev")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Cannot write the development certificate (Not a directory: {blocker / 'tls'});"
        " set RECEIVER_TLS_DIR to a writable directory.\n"
    )
    assert served == []


FORM = "expected 'module:attribute' (e.g. 'acme:app') or 'path/to/file.py:attribute'"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # the loader's messages, one line each, exit 1
        pytest.param(
            ["nothere:app"], 1,
            "Error: Module 'nothere' not found in {cwd} or on sys.path; check the name and run"
            " from the project directory, or give a file: path/to/file.py:app.",
            id="module-not-found",
        ),
        pytest.param(
            ["missing.py"], 1,
            "Error: File not found: missing.py ({cwd}/missing.py does not exist); give the path"
            " of the app's .py file relative to the current directory.",
            id="file-not-found",
        ),
        pytest.param(
            ["acme:ap"], 1,
            "Error: Module 'acme' has no attribute 'ap'. ASGI apps in it: 'app'; e.g. 'acme:app'.",
            id="attribute-missing",
        ),
        pytest.param(
            ["acme:create_app"], 1,
            "Error: 'acme:create_app' is a function that takes no arguments, not an ASGI app; if"
            " it builds the app, pass --factory.",
            id="factory-without-flag",
        ),
        pytest.param(
            ["acme:Receiver"], 1,
            "Error: 'acme:Receiver' is the class Receiver, not an app; point at an instance (e.g."
            " `app = Receiver(...)`).",
            id="not-an-app",
        ),
        pytest.param(
            ["acme-x:app"], 1,
            f"Error: Invalid app 'acme-x:app': 'acme-x' is not a module name; {FORM}.",
            id="bad-spec",
        ),
        # click's own checks, exit 2
        pytest.param(
            ["acme:app", "--reload", "--workers", "3"], 2,
            "Error: --reload and --workers 3 cannot be combined: use --reload while developing"
            " and --workers in production.",
            id="reload-with-workers",
        ),
        pytest.param(
            ["nothere:app", "--workers", "2", "--reload"], 2,
            "Error: --reload and --workers 2 cannot be combined: use --reload while developing"
            " and --workers in production.",
            id="reload-with-workers-checked-first",
        ),
        pytest.param(
            ["acme:app", "--workers", "0"], 2,
            "Error: Invalid value for '--workers': 0 is not in the range x>=1.",
            id="zero-workers",
        ),
        pytest.param(
            ["acme:app", "--port", "70000"], 2,
            "Error: Invalid value for '--port': 70000 is not in the range 0<=x<=65535.",
            id="port-out-of-range",
        ),
        pytest.param(
            ["acme:app", "--port", "http"], 2,
            "Error: Invalid value for '--port': 'http' is not a valid integer range.",
            id="port-not-a-number",
        ),
        pytest.param(
            ["acme:app", "--log-level", "loud"], 2,
            "Error: Invalid value for '--log-level': 'loud' is not one of 'critical', 'error',"
            " 'warning', 'info', 'debug', 'trace'.",
            id="unknown-log-level",
        ),
        pytest.param([], 2, "Error: Missing argument 'APP'.", id="no-app"),
    ],
)  # fmt: skip
def test_serve_errors(
    invoke: Invoke, served: list[dict[str, Any]], args: list[str], code: int, message: str
) -> None:
    result = invoke("serve", *args)
    assert result.exit_code == code
    assert error_line(result) == message.format(cwd=Path.cwd())
    assert "Traceback" not in result.output
    if code == 1:
        assert result.stderr.count("\n") == 1
    assert served == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.slow
def test_serve_for_real_with_tls_dev(tmp_path: Path) -> None:
    (tmp_path / "real_app.py").write_text(APP_SOURCE)
    port = free_port()
    env = {**os.environ, "RECEIVER_TLS_DIR": str(tmp_path / "tls"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "receiver.cli", "serve", "real_app.py", "--tls-dev",
         "--port", str(port), "--log-level", "warning"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + BOUND
        cert = tmp_path / "tls" / "cert.pem"
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            if cert.exists():
                try:
                    verify = httpx.create_ssl_context(verify=True)
                    verify.load_verify_locations(cert)
                    answer = httpx.get(f"https://localhost:{port}/healthz", verify=verify)
                    break
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        assert answer is not None, f"not ready within {BOUND}s (exit {process.poll()})"
        assert answer.status_code == 200
        assert answer.json() == {"status": "ok"}
    finally:
        stderr = stop_process(process, BOUND)
    assert f"Trust it with: curl --cacert {cert} https://127.0.0.1:{port}/healthz" in stderr


# -- token ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "ttl", "audience"),
    [
        pytest.param(["--secret", SECRET, "--webhook-id", WEBHOOK_ID], {}, 300, None,
                     id="options"),
        pytest.param([], {"RECEIVER_SECRET": SECRET, "RECEIVER_WEBHOOK_ID": WEBHOOK_ID}, 300,
                     None, id="environment"),
        pytest.param(["--webhook-id", WEBHOOK_ID], {"RECEIVER_SECRET": SECRET}, 300, None,
                     id="secret-from-environment"),
        pytest.param(["--secret", SECRET, "--webhook-id", WEBHOOK_ID, "--ttl", "60"], {}, 60,
                     None, id="ttl"),
        pytest.param(["--secret", SECRET, "--webhook-id", WEBHOOK_ID, "--audience", "ext.example"],
                     {}, 300, "ext.example", id="audience"),
    ],
)  # fmt: skip
def test_token(
    invoke: Invoke, args: list[str], env: dict[str, str], ttl: int, audience: str | None
) -> None:
    before = int(time.time())
    result = invoke("token", *args, env=env)
    after = int(time.time())
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    token, newline, rest = result.stdout.partition("\n")
    assert (newline, rest) == ("\n", "")
    claims = tokens.verify(
        token, [SECRET.encode()], tokens.VerifyOptions(issuer="mpt", audience=audience)
    )
    assert claims["webhook_id"] == WEBHOOK_ID
    assert before <= claims["iat"] == claims["nbf"] <= after
    assert claims["exp"] - claims["iat"] == ttl
    assert claims.get("aud") == audience
    assert SECRET not in result.output


def test_token_secret_never_printed_on_error(invoke: Invoke) -> None:
    result = invoke("token", "--secret", SECRET, "--webhook-id", "not an id")
    assert result.exit_code == 2
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        pytest.param(
            ["--webhook-id", WEBHOOK_ID], {},
            "Error: Missing --secret: pass the webhook's secret with --secret or, to keep it out"
            " of your shell history, in the environment variable RECEIVER_SECRET.",
            id="no-secret",
        ),
        pytest.param(
            ["--webhook-id", WEBHOOK_ID], {"RECEIVER_SECRET": ""},
            "Error: Missing --secret: pass the webhook's secret with --secret or, to keep it out"
            " of your shell history, in the environment variable RECEIVER_SECRET.",
            id="empty-secret-variable",
        ),
        pytest.param(
            ["--webhook-id", WEBHOOK_ID, "--secret", ""], {},
            "Error: Invalid value for '--secret' (env var: 'RECEIVER_SECRET'): the secret is"
            " empty.",
            id="empty-secret",
        ),
        pytest.param(
            ["--secret", SECRET], {},
            "Error: Missing --webhook-id: pass the webhook's id (e.g. --webhook-id WBH-5433-8787)"
            " or set RECEIVER_WEBHOOK_ID.",
            id="no-webhook-id",
        ),
        pytest.param(
            ["--secret", SECRET, "--webhook-id", "WBH 1"], {},
            "Error: Invalid value for '--webhook-id' (env var: 'RECEIVER_WEBHOOK_ID'): 'WBH 1' is"
            " not a webhook id (1-64 letters, digits, '_', '.', ':' or '-', e.g. WBH-5433-8787);"
            " the receiver would refuse it as unknown.",
            id="bad-webhook-id",
        ),
        pytest.param(
            ["--secret", SECRET, "--webhook-id", WEBHOOK_ID, "--ttl", "0"], {},
            "Error: Invalid value for '--ttl': 0 is not in the range x>=1.",
            id="ttl-zero",
        ),
        pytest.param(
            ["--secret", SECRET, "--webhook-id", WEBHOOK_ID, "--tll", "5"], {},
            "Error: No such option '--tll'. Did you mean '--ttl'?",
            id="option-typo",
        ),
    ],
)  # fmt: skip
def test_token_errors(invoke: Invoke, args: list[str], env: dict[str, str], message: str) -> None:
    result = invoke("token", *args, env=env)
    assert result.exit_code == 2
    assert error_line(result) == message
    assert result.stdout == ""


# -- send -------------------------------------------------------------------------------------


def make_app() -> Receiver:
    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    def check_company(order: Order) -> Order:
        company = order.parameter("companyName")
        if not company.value:
            company.set_error("ACME001", "Company name is required.")
        return order

    @app.validate_terminate_order
    def fail(order: Order) -> Order:
        raise RuntimeError("the handler broke")

    @app.validate_configuration_order_draft
    async def slow(order: Order) -> Order:
        import asyncio

        await asyncio.sleep(0.5)
        return order

    return app


class Server:
    """A real uvicorn serving ``make_app()`` on a loopback port the OS picked."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}/"
        self.server = uvicorn.Server(
            uvicorn.Config(
                make_app(),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                log_config=None,
                ws="none",
                ssl_certfile=str(tls[0]) if tls else None,
                ssl_keyfile=str(tls[1]) if tls else None,
            )
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + BOUND
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, f"uvicorn did not start within {BOUND}s"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(BOUND)
        self.sock.close()
        assert not self.thread.is_alive(), f"uvicorn did not stop within {BOUND}s"


@pytest.fixture(scope="module")
def http_server() -> Iterator[Server]:
    with Server() as server:
        yield server


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = ensure_dev_certificate(tmp_path_factory.mktemp("tls"))
    return made.cert_path, made.key_path


@pytest.fixture(scope="module")
def https_server(tls_certificate: tuple[Path, Path]) -> Iterator[Server]:
    with Server(tls=tls_certificate) as server:
        yield server


@pytest.fixture
def credentials(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret and webhook id in the environment, as the help recommends."""
    monkeypatch.setenv("RECEIVER_SECRET", SECRET)
    monkeypatch.setenv("RECEIVER_WEBHOOK_ID", WEBHOOK_ID)


def purchase_order(company: str) -> dict[str, Any]:
    from receiver.testing import samples

    return samples.get("purchase-order", parameters={"companyName": company})


COMPANY_ERROR = "parameter companyName: error set ACME001 'Company name is required.'"


# -- simulate ---------------------------------------------------------------------------------


def test_simulate_allowed_hosts_reach_the_simulator(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: served.append(self))

    result = invoke(
        "simulate", "--port", "0", "--allowed-host", "Sim.Internal", "--allowed-host", "192.0.2.7"
    )

    assert result.exit_code == 0, result.output
    assert "Host names   localhost, 127.0.0.0/8, [::1], sim.internal, 192.0.2.7" in result.output
    assert served[0].config.app.allowed_hosts == ("sim.internal", "192.0.2.7")


def test_simulate_refuses_an_allowed_host_with_a_port(invoke: Invoke) -> None:
    result = invoke("simulate", "--port", "0", "--allowed-host", "sim.internal:8090")

    assert result.exit_code == 1
    assert "allowed_hosts: 'sim.internal:8090' is not a host name" in error_line(result)


# -- samples ----------------------------------------------------------------------------------


def test_samples_lists_every_name_with_its_type_and_description(invoke: Invoke) -> None:
    from receiver.testing import samples

    result = invoke("samples")
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(samples.NAMES)
    for line, name in zip(lines, samples.NAMES, strict=True):
        info = samples.info(name)
        assert line.split()[1] == info.webhook_type
        assert line.endswith(f"  {info.description}")
    # aligned columns
    assert len({line.index(line.split()[1]) for line in lines}) == 1


@pytest.mark.parametrize(
    ("name", "webhook_type"),
    [
        pytest.param("purchase-order", "ValidatePurchaseOrderDraft", id="kebab"),
        pytest.param("purchase_order", "ValidatePurchaseOrderDraft", id="snake"),
        pytest.param("Change-Order", "ValidateChangeOrderDraft", id="any-case"),
        pytest.param("account", "ValidateAccount", id="account"),
        pytest.param("re-enrollment-querying", "ValidateReEnrollmentQuerying", id="enrollment"),
    ],
)
def test_samples_prints_one_as_indented_json(invoke: Invoke, name: str, webhook_type: str) -> None:
    from receiver.testing import samples

    result = invoke("samples", name)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert result.stdout == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    expected = samples.get(name)
    assert data.keys() == expected.keys()
    assert samples.info(name).webhook_type == webhook_type
    assert data["id"][:4] == expected["id"][:4]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param(
            "purchase-ordr",
            "Error: Invalid value for 'NAME': Unknown sample 'purchase-ordr'. Did you mean"
            " 'purchase-order' or 'purchase-order-minimal' or 'purchase-order-querying'?",
            id="typo",
        ),
        pytest.param(
            "acount",
            "Error: Invalid value for 'NAME': Unknown sample 'acount'. Did you mean 'account'?",
            id="one-suggestion",
        ),
        pytest.param(
            "zzz",
            "Error: Invalid value for 'NAME': Unknown sample 'zzz'; `receiver samples` lists them.",
            id="nothing-close",
        ),
    ],
)
def test_samples_unknown_name(invoke: Invoke, name: str, message: str) -> None:
    result = invoke("samples", name)
    assert result.exit_code == 2
    assert error_line(result) == message
    assert result.stdout == ""


# -- the pieces the commands are made of ------------------------------------------------------


def chained(outer: BaseException, *causes: BaseException) -> BaseException:
    current = outer
    for cause in causes:
        current.__cause__ = cause
        current = cause
    return outer


URL = "https://localhost:8080/"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        pytest.param(
            chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError(1, "verify failed")),
            f"TLS verification of {URL} failed (certificate verify failed). For the development"
            " certificate of `receiver serve --tls-dev`, pass --insecure.",
            id="verify-failed",
        ),
        pytest.param(
            chained(httpx.ConnectError("x"), ssl.SSLError(1, "[SSL] wrong version number")),
            f"TLS handshake with {URL} failed ([SSL] wrong version number); if the server serves"
            " plain HTTP, use an http:// URL.",
            id="tls-to-plain-http",
        ),
        pytest.param(
            chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused")),
            f"Connection to {URL} refused: nothing is listening there. Start the receiver"
            " (receiver serve APP) or check the URL's host and port.",
            id="refused",
        ),
        pytest.param(
            httpx.ReadTimeout("timed out"),
            f"No answer from {URL} in time; raise --timeout or check that the receiver is running"
            " and its handler is not stuck.",
            id="timeout",
        ),
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            f"{URL} closed the connection without an HTTP answer.",
            id="closed-without-answer",
        ),
        pytest.param(
            chained(httpx.ReadError("x"), ConnectionResetError(104, "Connection reset by peer")),
            f"{URL} closed the connection without an HTTP answer.",
            id="reset-without-answer",
        ),
        pytest.param(
            httpx.ConnectError("[Errno -2] Name or service not known"),
            f"Cannot connect to {URL} ([Errno -2] Name or service not known); check the URL's"
            " host and port.",
            id="unknown-host",
        ),
        pytest.param(
            httpx.TooManyRedirects("Exceeded maximum\nallowed redirects."),
            f"The call to {URL} failed: TooManyRedirects: Exceeded maximum allowed redirects.",
            id="anything-else",
        ),
    ],
)
def test_describe_transport_error(error: BaseException, message: str) -> None:
    from receiver.cli import describe_transport_error

    assert describe_transport_error(error, URL) == message


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            id="closed",
        ),
        pytest.param(
            chained(httpx.ReadError("x"), ConnectionResetError(104, "Connection reset by peer")),
            id="reset",
        ),
    ],
)
def test_describe_transport_error_plain_http_to_tls(error: BaseException) -> None:
    """A TLS server closes or resets a plain HTTP connection, by timing; one message for both."""
    from receiver.cli import describe_transport_error

    url = "http://localhost:8080/"
    assert describe_transport_error(error, url) == (
        f"{url} closed the connection without an HTTP answer; if the server uses TLS"
        " (receiver serve --tls-dev), use an https:// URL."
    )


def test_describe_transport_error_survives_a_cycle() -> None:
    from receiver.cli import describe_transport_error

    first, second = httpx.ConnectError("a"), httpx.ConnectError("b")
    first.__cause__, second.__context__ = second, first
    assert describe_transport_error(first, URL).startswith("Cannot connect to")


@pytest.mark.parametrize(
    ("status", "line"),
    [
        pytest.param(200, "200 OK in 12.3 ms", id="ok"),
        pytest.param(401, "401 Unauthorized in 12.3 ms", id="unauthorized"),
        pytest.param(599, "599 in 12.3 ms", id="unknown-status"),
    ],
)
def test_status_line(status: int, line: str) -> None:
    from receiver.cli import status_line

    assert status_line(status, 0.01234) == line


def call_lines(result: Result) -> list[str]:
    assert SECRET not in result.output
    assert "eyJ" not in result.output  # no token (a JWT starts with eyJ)
    return result.stdout.splitlines()


@pytest.fixture
def order_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Payload files in the current directory: ``empty-company.json`` and friends."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty-company.json").write_text(json.dumps(purchase_order("")))
    (tmp_path / "with-company.json").write_text(json.dumps(purchase_order("Contoso Ltd")))
    (tmp_path / "not-json.json").write_text('{"id": "ORD-1",\n  "type": }')
    (tmp_path / "a-list.json").write_text("[1, 2]")
    (tmp_path / "latin1.json").write_bytes(b'{"id": "ORD-1", "notes": "caf\xe9"}')
    return tmp_path


@pytest.mark.parametrize(
    ("args", "stdin", "verdict", "changes"),
    [
        pytest.param(["-t", "ValidatePurchaseOrderDraft"], None, "accepted", ["changes: none"],
                     id="type-sample"),
        pytest.param(["--type", "validatePurchaseOrderDraft"], None, "accepted",
                     ["changes: none"], id="lower-camel-type"),
        pytest.param(["-t", "VALIDATEPURCHASEORDERDRAFT"], None, "accepted", ["changes: none"],
                     id="any-case-type"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--payload", "empty-company.json"],
                     None, "refused", ["changes:", f"  {COMPANY_ERROR}"], id="payload-refused"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--payload", "with-company.json"],
                     None, "accepted", ["changes: none"], id="payload-accepted"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--payload", "-"],
                     json.dumps(purchase_order("")), "refused",
                     ["changes:", f"  {COMPANY_ERROR}"], id="payload-stdin"),
        pytest.param(["--sample", "purchase-order"], None, "accepted", ["changes: none"],
                     id="sample-gives-the-type"),
        pytest.param(["--sample", "purchase_order", "-t", "ValidatePurchaseOrderDraft"], None,
                     "accepted", ["changes: none"], id="sample-and-type"),
    ],
)  # fmt: skip
def test_send_answered(
    invoke: Invoke,
    credentials: None,
    order_files: Path,
    http_server: Server,
    args: list[str],
    stdin: str | None,
    verdict: str,
    changes: list[str],
) -> None:
    result = invoke("send", http_server.url, *args, input=stdin)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    first, status, *rest = call_lines(result)
    assert re.fullmatch(
        rf"ValidatePurchaseOrderDraft ORD-\d{{4}}-\d{{4}}-\d{{4}} -> {re.escape(http_server.url)}",
        first,
    )
    assert re.fullmatch(rf"200 OK in \d+\.\d ms: {verdict}", status)
    assert rest == changes


def test_send_to_a_path(invoke: Invoke, credentials: None, http_server: Server) -> None:
    result = invoke(
        "send", http_server.url, "-t", "ValidatePurchaseOrderDraft",
        "--path", "/ValidatePurchaseOrderDraft",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert call_lines(result)[0].endswith(f" -> {http_server.url}ValidatePurchaseOrderDraft")


def test_send_with_secret_options(invoke: Invoke, http_server: Server) -> None:
    result = invoke(
        "send", http_server.url, "-t", "ValidatePurchaseOrderDraft",
        "--secret", SECRET, "--webhook-id", WEBHOOK_ID,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert call_lines(result)[1].endswith(": accepted")


def test_send_json_prints_the_body_only(
    invoke: Invoke, credentials: None, order_files: Path, http_server: Server
) -> None:
    result = invoke(
        "send", http_server.url, "-t", "ValidatePurchaseOrderDraft",
        "--payload", "empty-company.json", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    sent = json.loads((order_files / "empty-company.json").read_text())
    assert answer["id"] == sent["id"]
    company = next(p for p in answer["parameters"]["ordering"] if p["externalId"] == "companyName")
    assert company["error"] == {"id": "ACME001", "message": "Company name is required."}
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "status", "body"),
    [
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--expired"], "401 Unauthorized",
                     {"id": "expired", "message": "Token expired."}, id="expired"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--wrong-secret"], "401 Unauthorized",
                     {"id": "bad_signature", "message": "Invalid token: bad signature."},
                     id="wrong-secret"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--secret", "not-the-secret"],
                     "401 Unauthorized",
                     {"id": "bad_signature", "message": "Invalid token: bad signature."},
                     id="other-secret"),
        pytest.param(["-t", "ValidatePurchaseOrderDraft", "--webhook-id", "WBH-0000-0000"],
                     "401 Unauthorized",
                     {"id": "unknown_webhook",
                      "message": "Unknown webhook: no secret is configured for it."},
                     id="unknown-webhook"),
        pytest.param(["-t", "ValidateTerminateOrder"], "500 Internal Server Error",
                     {"id": "handler_failed", "message": "The validation handler failed;"
                      " details are in the receiver's log."}, id="handler-fails"),
        pytest.param(["-t", "ValidateAccount"], "404 Not Found",
                     {"id": "no_handler", "message": "No handler for ValidateAccount. Register"
                      " one with `@app.validate_account`."}, id="no-handler"),
    ],
)  # fmt: skip
def test_send_error_answers_exit_1(
    invoke: Invoke,
    credentials: None,
    http_server: Server,
    args: list[str],
    status: str,
    body: dict[str, str],
) -> None:
    result = invoke("send", http_server.url, *args)
    assert result.exit_code == 1
    _, status_text, answer = call_lines(result)
    assert re.fullmatch(rf"{status} in \d+\.\d ms", status_text)
    assert json.loads(answer) == body
    assert result.stderr == ""
    as_json = invoke("send", http_server.url, *args, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == body


def test_send_timeout(invoke: Invoke, credentials: None, http_server: Server) -> None:
    result = invoke(
        "send", http_server.url, "-t", "ValidateConfigurationOrderDraft", "--timeout", "0.05"
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No answer from {http_server.url} within 0.05 s; raise --timeout or check that"
        " the receiver is running and its handler is not stuck.\n"
    )


def test_send_over_tls_with_insecure(
    invoke: Invoke, credentials: None, order_files: Path, https_server: Server
) -> None:
    result = invoke(
        "send", https_server.url, "-t", "ValidatePurchaseOrderDraft",
        "--payload", "empty-company.json", "--insecure",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = call_lines(result)
    assert lines[0].endswith(f" -> {https_server.url}")
    assert lines[2:] == ["changes:", f"  {COMPANY_ERROR}"]


def test_send_over_tls_with_localhost_name(
    invoke: Invoke, credentials: None, https_server: Server
) -> None:
    url = f"https://localhost:{https_server.port}/"
    result = invoke("send", url, "-t", "ValidatePurchaseOrderDraft", "--insecure")
    assert result.exit_code == 0, result.output


def test_send_over_tls_refuses_the_dev_certificate_without_insecure(
    invoke: Invoke, credentials: None, https_server: Server
) -> None:
    result = invoke("send", https_server.url, "-t", "ValidatePurchaseOrderDraft")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: TLS verification of {https_server.url} failed (self-signed certificate). For"
        " the development certificate of `receiver serve --tls-dev`, pass --insecure.\n"
    )
    assert result.stdout == ""


def test_send_https_to_a_plain_http_server(
    invoke: Invoke, credentials: None, http_server: Server
) -> None:
    url = f"https://127.0.0.1:{http_server.port}/"
    result = invoke("send", url, "-t", "ValidatePurchaseOrderDraft", "--insecure")
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"Error: TLS handshake with {re.escape(url)} failed \(.+\); if the server serves plain"
        r" HTTP, use an http:// URL\.\n",
        result.stderr,
    )


def test_send_plain_http_to_a_tls_server(
    invoke: Invoke, credentials: None, https_server: Server
) -> None:
    url = f"http://127.0.0.1:{https_server.port}/"
    result = invoke("send", url, "-t", "ValidatePurchaseOrderDraft")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {url} closed the connection without an HTTP answer; if the server uses TLS"
        " (receiver serve --tls-dev), use an https:// URL.\n"
    )


def test_send_connection_refused(invoke: Invoke, credentials: None) -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    result = invoke("send", url, "-t", "ValidatePurchaseOrderDraft")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: Connection to {url} refused: nothing is listening there. Start the receiver"
        " (receiver serve APP) or check the URL's host and port.\n"
    )


ALL_TYPES = ", ".join(
    [
        "ValidatePurchaseOrderDraft", "ValidatePurchaseOrderQuerying", "ValidateChangeOrderDraft",
        "ValidateTerminateOrder", "ValidateConfigurationOrderDraft", "SelectOrderLines",
        "ValidateRequest", "ValidateAccount", "ValidateEnrollmentDraft",
        "ValidateEnrollmentQuerying", "ValidateReEnrollment", "ValidateReEnrollmentQuerying",
        "ValidateAnswer",
    ]
)  # fmt: skip
TYPE = ["-t", "ValidatePurchaseOrderDraft"]
URL_OK = "http://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        pytest.param(
            ["-t", "ValidatePurchaseOrderDraf"], None,
            "Error: Invalid value for '--type' / '-t': Unknown webhook type"
            " 'ValidatePurchaseOrderDraf'. Did you mean 'ValidatePurchaseOrderDraft'?",
            id="type-typo",
        ),
        pytest.param(
            ["-t", "validateaccont"], None,
            "Error: Invalid value for '--type' / '-t': Unknown webhook type 'validateaccont'."
            " Did you mean 'ValidateAccount'?",
            id="type-typo-lowercase",
        ),
        pytest.param(
            ["-t", "Refund"], None,
            "Error: Invalid value for '--type' / '-t': Unknown webhook type 'Refund'; known"
            f" types: {ALL_TYPES}.",
            id="type-unknown",
        ),
        pytest.param(
            [], None,
            "Error: Missing --type: name the webhook type, e.g. --type ValidatePurchaseOrderDraft,"
            " or send a named sample with --sample NAME (see `receiver samples`).",
            id="no-type",
        ),
        pytest.param(
            ["--payload", "empty-company.json"], None,
            "Error: Missing --type: name the webhook type, e.g. --type ValidatePurchaseOrderDraft,"
            " or send a named sample with --sample NAME (see `receiver samples`).",
            id="payload-without-type",
        ),
        pytest.param(
            [*TYPE, "--payload", "empty-company.json", "--sample", "purchase-order"], None,
            "Error: --payload and --sample cannot be combined: send one of them.",
            id="payload-and-sample",
        ),
        pytest.param(
            [*TYPE, "--expired", "--wrong-secret"], None,
            "Error: --expired and --wrong-secret cannot be combined: break the token one way at"
            " a time.",
            id="expired-and-wrong-secret",
        ),
        pytest.param(
            [*TYPE, "--payload", "missing.json"], None,
            "Error: Invalid value for '--payload': 'missing.json': No such file or directory",
            id="payload-missing",
        ),
        pytest.param(
            [*TYPE, "--payload", "not-json.json"], None,
            "Error: Invalid value for '--payload': not-json.json is not valid JSON: Expecting"
            " value (line 2, column 11).",
            id="payload-not-json",
        ),
        pytest.param(
            [*TYPE, "--payload", "a-list.json"], None,
            "Error: Invalid value for '--payload': a-list.json holds a JSON list, not an object;"
            " the platform sends one object (an Order, an Account, ...).",
            id="payload-not-an-object",
        ),
        pytest.param(
            [*TYPE, "--payload", "latin1.json"], None,
            "Error: Invalid value for '--payload': latin1.json is not UTF-8 text; save it as"
            " UTF-8 JSON.",
            id="payload-not-utf8",
        ),
        pytest.param(
            [*TYPE, "--payload", "-"], "nope",
            "Error: Invalid value for '--payload': stdin is not valid JSON: Expecting value (line"
            " 1, column 1).",
            id="stdin-not-json",
        ),
        pytest.param(
            [*TYPE, "--payload", "-"], "",
            "Error: Invalid value for '--payload': stdin is not valid JSON: Expecting value (line"
            " 1, column 1).",
            id="stdin-empty",
        ),
        pytest.param(
            ["--sample", "purchase-ordr"], None,
            "Error: Invalid value for '--sample': Unknown sample 'purchase-ordr'. Did you mean"
            " 'purchase-order' or 'purchase-order-minimal' or 'purchase-order-querying'?",
            id="sample-typo",
        ),
        pytest.param(
            ["--sample", "zzz"], None,
            "Error: Invalid value for '--sample': Unknown sample 'zzz'; `receiver samples` lists"
            " them.",
            id="sample-unknown",
        ),
        pytest.param(
            [*TYPE, "--timeout", "0"], None,
            "Error: Invalid value for '--timeout': 0.0 is not in the range x>0.",
            id="timeout-zero",
        ),
        pytest.param(
            [*TYPE, "--secret", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"],
            None,
            "Error: Invalid value for '--secret' (env var: 'RECEIVER_SECRET'): The secret for"
            " this webhook looks like a PEM block, certificate or SSH/DER key: an asymmetric key"
            " cannot be an HMAC secret. The platform signs with HS256 and the webhook's shared"
            " secret; use that secret.",
            id="secret-is-a-key",
        ),
    ],
)  # fmt: skip
def test_send_usage_errors(
    invoke: Invoke,
    credentials: None,
    order_files: Path,
    args: list[str],
    stdin: str | None,
    message: str,
) -> None:
    result = invoke("send", URL_OK, *args, input=stdin)
    assert result.exit_code == 2
    assert error_line(result) == message
    assert result.stdout == ""
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param(
            "localhost:8080",
            "Error: Invalid value for 'URL': 'localhost:8080' is not an http(s) URL; give the"
            " receiver's address, e.g. https://localhost:8080/.",
            id="no-scheme",
        ),
        pytest.param(
            "ftp://localhost/",
            "Error: Invalid value for 'URL': 'ftp://localhost/' is not an http(s) URL; give the"
            " receiver's address, e.g. https://localhost:8080/.",
            id="other-scheme",
        ),
        pytest.param(
            "https:///path",
            "Error: Invalid value for 'URL': 'https:///path' is not an http(s) URL; give the"
            " receiver's address, e.g. https://localhost:8080/.",
            id="no-host",
        ),
    ],
)
def test_send_bad_url(invoke: Invoke, credentials: None, url: str, message: str) -> None:
    result = invoke("send", url, *TYPE)
    assert result.exit_code == 2
    assert error_line(result) == message


def test_send_missing_secret(invoke: Invoke) -> None:
    result = invoke("send", URL_OK, *TYPE, "--webhook-id", WEBHOOK_ID)
    assert result.exit_code == 2
    assert error_line(result) == (
        "Error: Missing --secret: pass the webhook's secret with --secret or, to keep it out of"
        " your shell history, in the environment variable RECEIVER_SECRET."
    )


def test_type_completion() -> None:
    from receiver.cli import WebhookTypeParam

    context = click.Context(main)
    option = click.Option(["--type"])
    names = [item.value for item in WebhookTypeParam().shell_complete(context, option, "validatee")]
    assert names == [
        "ValidateEnrollmentDraft",
        "ValidateEnrollmentQuerying",
    ]


def test_type_param_passes_a_known_type_through() -> None:
    from receiver.cli import WebhookTypeParam
    from receiver.types import WebhookType

    kind = WebhookType("ValidateAccount")
    assert WebhookTypeParam().convert(kind, None, None) is kind


@pytest.mark.parametrize(
    ("status", "body", "tail"),
    [
        pytest.param(200, b"ok", ["ok"], id="2xx-not-json"),
        pytest.param(204, b"", [], id="2xx-empty"),
        pytest.param(502, b"", [], id="error-empty"),
        pytest.param(502, b"Bad gateway", ["Bad gateway"], id="error-text"),
        pytest.param(
            200,
            b'{"id": "ORD-1", "error": null}',
            [
                "changes:",
                "  previous errors cleared (the receiver clears them before the handler runs):",
                "    order: error cleared (was OLD 'stale')",
            ],
            id="cleared-errors-indented",
        ),
    ],
)
def test_describe_result(status: int, body: bytes, tail: list[str]) -> None:
    from receiver.cli import describe_result
    from receiver.testing import CallResult
    from receiver.types import WebhookType

    result = CallResult(
        webhook_type=WebhookType("ValidatePurchaseOrderDraft"),
        path="http://127.0.0.1:8080/",
        request={"id": "ORD-1", "error": {"id": "OLD", "message": "stale"}},
        status=status,
        body=body,
        headers={},
        duration=0.0015,
    )
    lines = describe_result(result)
    assert lines[0] == "ValidatePurchaseOrderDraft ORD-1 -> http://127.0.0.1:8080/"
    assert lines[1].startswith(f"{status} ")
    assert lines[2:] == tail
