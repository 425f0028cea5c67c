"""``receiver serve`` as a real process on loopback: graceful shutdown on SIGTERM, several
workers, and a started Receiver that keeps serving on both sides of ``os.fork()``.

The served app is ``tests/serve_app.py``: a fast handler, a slow one (it sleeps the seconds in the
order's ``notes``) and one that answers with its process id. Every wait has a bound; every
process started here is killed in a ``finally`` if it is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from receiver import Order, Receiver
from receiver.cli import main
from receiver.testing import samples, sign_token
from tests.conftest import imports_undone
from tests.serve_app import STARTED_FILE_ENV

SECRET = "serve-test-secret-serve-test-secret-01"
WEBHOOK_ID = "WBH-5433-8787"
OTHER_WEBHOOK_ID = "WBH-5433-0002"
REPO = Path(__file__).resolve().parent.parent
APP = "tests/serve_app.py"
FAST, SLOW, PID = "ValidatePurchaseOrderDraft", "ValidateChangeOrderDraft", "ValidateTerminateOrder"
BOUND = 30.0  # seconds any wait in this file may take at most
MAX_CALLS = 100  # calls to the 2-worker server before giving up on seeing both workers


# -- helpers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def headers(webhook_id: str = WEBHOOK_ID) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {sign_token(SECRET, webhook_id)}",
        "Content-Type": "application/json",
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_file: Path
    workers: set[int] = field(default_factory=set)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def call(self, webhook_type: str, body: dict[str, Any], timeout: float = 10) -> httpx.Response:
        """One signed call on a fresh connection."""
        return httpx.post(
            self.url(f"/{webhook_type}"),
            content=json.dumps(body),
            headers=headers(),
            timeout=timeout,
        )

    def wait_started(self, order_id: str) -> None:
        """Until the slow handler has started on ``order_id``."""
        deadline = time.monotonic() + BOUND
        while not (self.started_file.exists() and order_id in self.started_file.read_text()):
            assert self.process.poll() is None, f"the server exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"the slow call did not start:\n{self.output()}"
            time.sleep(0.02)

    def terminate(self) -> float:
        """SIGTERM; the monotonic time it was sent."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        return sent

    def wait_exit(self, sent: float) -> tuple[int, float]:
        """The exit code and the seconds from ``sent`` to the exit."""
        try:
            returncode = self.process.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit within {BOUND}s of SIGTERM:\n{self.output()}")
        return returncode, time.monotonic() - sent


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def group_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[2])
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def serving(tmp_path: Path, *args: str) -> Iterator[Server]:
    """``receiver serve tests/serve_app.py ARGS`` on a free port, ready to answer. The server is
    in its own process group; whatever is left of it is killed on the way out."""
    port = free_port()
    log = tmp_path / "server.log"
    started_file = tmp_path / "started"
    env = {
        **os.environ,
        "RECEIVER_SECRETS": json.dumps({WEBHOOK_ID: SECRET}),
        STARTED_FILE_ENV: str(started_file),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "receiver.cli", "serve", APP, "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, port, log, started_file)
    try:
        deadline = time.monotonic() + BOUND
        while True:
            assert process.poll() is None, f"the server exited:\n{server.output()}"
            assert time.monotonic() < deadline, f"not ready in {BOUND}s:\n{server.output()}"
            try:
                if httpx.get(server.url("/healthz"), timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:  # not reaped yet: its process group is still ours
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=BOUND)
        for pid in server.workers:  # workers that outlived their parent
            if alive(pid) and group_of(pid) == process.pid:
                os.kill(pid, signal.SIGKILL)


def new_connection(port: int) -> str:
    """What a new connection to ``port`` meets: ``refused``, ``closed`` (accepted, then closed
    or reset without an answer), ``no answer`` (within 5 s) or the answer's status line."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    with sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            answer = sock.recv(4096)
        except TimeoutError:
            return "no answer"
        except OSError:
            return "closed"
    return answer.split(b"\r\n", 1)[0].decode(errors="replace") if answer else "closed"


def in_background(fn: Callable[[], httpx.Response]) -> tuple[ThreadPoolExecutor, Future[Any]]:
    pool = ThreadPoolExecutor(max_workers=1)
    return pool, pool.submit(fn)


def outcome(future: Future[Any]) -> httpx.Response | BaseException:
    """The response of a call made in the background, or what it raised."""
    try:
        response: httpx.Response = future.result(timeout=BOUND)
    except Exception as exc:
        return exc
    return response


# -- the option ---------------------------------------------------------------------------------


@pytest.fixture
def captured_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """``uvicorn.run`` records its arguments and the SIGTERM handler it runs under; the app
    module the loader imports is forgotten after."""
    calls: list[dict[str, Any]] = []

    def run(**kwargs: Any) -> None:
        calls.append({**kwargs, "sigterm_handler": signal.getsignal(signal.SIGTERM)})

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.chdir(REPO)
    with imports_undone():
        yield calls


@pytest.mark.parametrize(
    ("args", "expected"),
    [([], 30.0), (["--graceful-timeout", "2.5"], 2.5), (["--graceful-timeout", "1"], 1.0)],
)
def test_graceful_timeout_reaches_uvicorn(
    captured_run: list[dict[str, Any]], args: list[str], expected: float
) -> None:
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(main, ["serve", APP, *args], prog_name="receiver")
    assert result.exit_code == 0, result.output
    [options] = captured_run
    assert options["timeout_graceful_shutdown"] == expected
    # uvicorn runs with SIGTERM turned into exit 0, and the handler is put back after.
    assert options["sigterm_handler"] not in (before, signal.SIG_DFL, signal.SIG_IGN)
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("value", ["0", "-1", "0.0", "nan", "inf", "soon"])
def test_graceful_timeout_must_be_positive(captured_run: list[dict[str, Any]], value: str) -> None:
    result = CliRunner().invoke(
        main, ["serve", APP, "--graceful-timeout", value], prog_name="receiver"
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--graceful-timeout'" in result.stderr
    assert captured_run == []


# -- real servers -----------------------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_answer_then_stop_gracefully_on_sigterm(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as server:
        pids: list[int] = []
        deadline = time.monotonic() + BOUND
        while len(set(pids)) < 2 and len(pids) < MAX_CALLS and time.monotonic() < deadline:
            body = samples.for_type(PID)
            answer = server.call(PID, body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["id"] == body["id"]
            pids.append(int(answer.json()["notes"]))
            server.workers = set(pids)
        assert len(server.workers) == 2, f"{len(pids)} calls, all answered by {server.workers}"
        assert {parent_of(pid) for pid in server.workers} == {server.process.pid}
        print(f"\n2 workers: both seen after {len(pids)} call(s): {pids}")

        # A call in progress when the parent gets SIGTERM still gets its answer.
        body = samples.for_type(SLOW, notes="1.5")
        pool, future = in_background(lambda: server.call(SLOW, body))
        with pool:
            server.wait_started(body["id"])
            sent = server.terminate()
            returncode, took = server.wait_exit(sent)
            answer = outcome(future)
        log = server.output()
        print(f"2 workers: exit {returncode} {took:.2f}s after SIGTERM")
        assert returncode == 0, log
        assert isinstance(answer, httpx.Response), f"{answer!r}\n{log}"
        assert answer.status_code == 200, answer.text
        assert (answer.json()["id"], answer.json()["notes"]) == (body["id"], "slept 1.5")
        assert not [pid for pid in server.workers if alive(pid)], log
        for pid in server.workers:  # each worker ran uvicorn's shutdown to the end
            assert f"Finished server process [{pid}]" in log, log
        assert took < 1.5 + 3, log


@pytest.mark.slow
def test_sigterm_lets_the_call_in_progress_finish_and_refuses_new_connections(
    tmp_path: Path,
) -> None:
    with serving(tmp_path) as server:
        # An idle keep-alive connection, open before SIGTERM.
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        with idle:
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            first = b""
            while b'{"status":"ok"}' not in first:
                chunk = idle.recv(4096)
                assert chunk, first
                first += chunk
            assert first.startswith(b"HTTP/1.1 200 ")

            body = samples.for_type(SLOW, notes="1.5")
            called = time.monotonic()
            pool, future = in_background(lambda: server.call(SLOW, body))
            with pool:
                server.wait_started(body["id"])
                time.sleep(max(0.0, 0.3 - (time.monotonic() - called)))
                sent = server.terminate()
                time.sleep(0.3)
                # Draining: still running, the slow call still in progress ...
                assert server.process.poll() is None, server.output()
                assert not future.done()
                # ... a new connection is refused (or closed unanswered) ...
                fresh = new_connection(server.port)
                assert fresh in ("refused", "closed"), f"after SIGTERM: {fresh}"
                # ... and the idle keep-alive connection was closed by the server.
                idle.settimeout(5)
                with contextlib.suppress(ConnectionResetError):
                    assert idle.recv(4096) == b"", "an idle connection stayed open"
                returncode, took = server.wait_exit(sent)
                answer = outcome(future)
    log = server.output()
    print(
        f"\ngraceful: SIGTERM {sent - called:.2f}s into a 1.5s call; new connection 0.3s"
        f" later: {fresh}; exit {returncode} {took:.2f}s after SIGTERM"
    )
    assert returncode == 0, log
    assert isinstance(answer, httpx.Response), f"{answer!r}\n{log}"
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == body["id"]
    assert answer.json()["notes"] == "slept 1.5"
    assert answer.headers["connection"] == "close"
    # It waited for the call (1.5 s from its start), and not much longer.
    assert 1.5 - (sent - called) - 0.2 < took < 1.5 + 3, log


@pytest.mark.slow
def test_a_call_longer_than_the_grace_is_cut_and_the_server_exits(tmp_path: Path) -> None:
    with serving(tmp_path, "--graceful-timeout", "1") as server:
        body = samples.for_type(SLOW, notes="5")
        pool, future = in_background(lambda: server.call(SLOW, body, timeout=15))
        with pool:
            server.wait_started(body["id"])
            sent = server.terminate()
            returncode, took = server.wait_exit(sent)
            answer = outcome(future)
            answered = time.monotonic() - sent
    log = server.output()
    print(
        f"\ngrace 1s, 5s call: exit {returncode} {took:.2f}s after SIGTERM; the caller got"
        f" {answer!r} {answered:.2f}s after SIGTERM"
    )
    assert returncode == 0, log
    assert 1 <= took < 1 + 3, log
    # The caller is not left hanging: a JSON 503 the platform can parse, before its timeout.
    assert isinstance(answer, httpx.Response), repr(answer)
    assert answer.status_code == 503, answer.text
    assert answer.json()["id"] == "shutting_down"
    assert answered < 1 + 3
    assert "timeout graceful shutdown exceeded" in log


# -- fork -------------------------------------------------------------------------------------


def fork_app(secrets: object) -> Receiver:
    app = Receiver(secrets=secrets)

    @app.validate_terminate_order
    async def pid(order: Order) -> Order:
        order.notes = str(os.getpid())
        return order

    return app


async def asgi_call(app: Receiver, webhook_id: str) -> tuple[int, dict[str, Any]]:
    body = samples.for_type(PID)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://vendor-ext.example.com"
    ) as client:
        answer = await client.post(f"/{PID}", content=json.dumps(body), headers=headers(webhook_id))
    data: dict[str, Any] = answer.json()
    assert answer.status_code != 200 or data["id"] == body["id"]
    return answer.status_code, data


def child_serves(app: Receiver, write_end: int) -> None:
    """In the forked child: serve calls in a new event loop, write the outcome, always exit."""
    code = 1
    try:
        signal.alarm(int(BOUND))  # never outlive a stuck test
        calls = [
            asyncio.run(asgi_call(app, webhook_id)) for webhook_id in (WEBHOOK_ID, OTHER_WEBHOOK_ID)
        ]
        result = {
            "pid": os.getpid(),
            "calls": [[status, data.get("notes")] for status, data in calls],
        }
        os.write(write_end, json.dumps(result).encode())
        code = 0
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(write_end, json.dumps({"error": repr(exc)}).encode())
    finally:
        os._exit(code)


def read_result(read_end: int) -> dict[str, Any]:
    data = b""
    deadline = time.monotonic() + BOUND
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no result from the child within {BOUND}s: {data!r}"
        ready, _, _ = select.select([read_end], [], [], remaining)
        if ready:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            data += chunk
    result: dict[str, Any] = json.loads(data)
    return result


def reap(pid: int) -> int:
    """The child's exit status; killed if it is still running after BOUND."""
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.parametrize(
    "secrets",
    [
        pytest.param({WEBHOOK_ID: SECRET, OTHER_WEBHOOK_ID: SECRET}, id="mapping"),
        # A function: looked up through CachedSecrets (a cache, a semaphore, a rate limit);
        # OTHER_WEBHOOK_ID is first looked up after the fork, on each side.
        pytest.param(
            lambda webhook_id: SECRET if webhook_id in (WEBHOOK_ID, OTHER_WEBHOOK_ID) else None,
            id="function",
        ),
    ],
)
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")
def test_a_started_receiver_serves_on_both_sides_of_fork(secrets: object) -> None:
    app = fork_app(secrets)
    parent = os.getpid()
    with asyncio.Runner() as runner:
        status, data = runner.run(asgi_call(app, WEBHOOK_ID))
        assert (status, data["notes"]) == (200, str(parent))
        assert app.started
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child always leaves through os._exit
            os.close(read_end)
            child_serves(app, write_end)
        os.close(write_end)
        try:
            # The parent serves on in its own loop while the child serves in a new one.
            after = [runner.run(asgi_call(app, wid)) for wid in (WEBHOOK_ID, OTHER_WEBHOOK_ID)]
            result = read_result(read_end)
        finally:
            os.close(read_end)
            exit_code = reap(child)
    assert exit_code == 0, result
    assert "error" not in result, result["error"]
    assert result["pid"] == child != parent
    assert result["calls"] == [[200, str(child)], [200, str(child)]]
    assert [(status, data["notes"]) for status, data in after] == [(200, str(parent))] * 2
