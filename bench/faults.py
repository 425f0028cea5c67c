"""Load with faults (reliability issue): `receiver serve` with several workers on a real Redis,
driven by a mix of good and bad calls while Redis is killed and restarted.

    python -m bench.faults                                  # 60 s, 64 connections, 2 workers
    python -m bench.faults --duration 8 --connections 16    # what tests/test_fault_load.py runs

What runs:

- a redis-server on loopback (own port and temp dir; AOF on, ``appendfsync always``);
- ``receiver serve bench.fault_app:app --workers N --graceful-timeout 5`` on the Redis store;
- an asyncio client: ``connections`` tasks, each doing one operation after another, the kind of
  each taken from a fixed cycle (:data:`MIX`): valid calls (fresh token each, the exact answer
  checked), bad tokens (wrong secret; unknown webhook), oversized bodies, slow senders, slow
  readers, handlers that raise or hang, and replays (same token, another body);
- at 1/3 of the duration the redis-server is killed with SIGKILL, at 1/2 it is started again on
  the same port and directory (the AOF brings back what was written before the kill).

What is checked (the exit code is 1 when anything fails): every answer is the expected one; the
worker processes are the same at the end; their file descriptors and memory did not grow; the
deployment statistics (``GET /_receiver/webhooks/<id>``) count exactly the calls the client made
with the known webhook id, across the outage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import datetime
import importlib.util
import itertools
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from bench.fault_app import (
    ADMIN_TOKEN_ENV,
    BODY_TIMEOUT,
    DEADLINE,
    HANG,
    HANG_SECONDS,
    MAX_BODY_SIZE,
    RAISE,
    REFUSAL_ID,
    REFUSED_PARAMETER,
    STATS_FLUSH_INTERVAL,
    STORE_TIMEOUT_ENV,
    refusal_for,
    store_timeout,
)
from bench.run import ROOT, rss_kib
from receiver import tokens
from receiver.store import DEFAULT_RETRY_INTERVAL
from receiver.testing import samples, sign_token, wrong_secret_token
from receiver.wire import REJECT_ERROR_ID, ErrorId, Message
from tests.redis_server import RedisServer, free_port

DEFAULT_REJECT_MESSAGE, REPLAYED = Message.DEFAULT_REJECT, ErrorId.TOKEN_REPLAYED

APP: Final = "bench.fault_app:app"
SECRET: Final = "fault-bench-secret-fault-bench-secret-01"
WEBHOOK_ID: Final = "WBH-5433-8787"
UNKNOWN_WEBHOOK_ID: Final = "WBH-0000-0404"
ADMIN_TOKEN: Final = "fault-bench-admin-token-0001"
PATH: Final = "/ValidatePurchaseOrderDraft"
GRACEFUL_TIMEOUT: Final = 5.0

# Bounds (seconds). Every wait in this module has one.
CALL_TIMEOUT: Final = 15.0  # one HTTP call of the client
START_TIMEOUT: Final = 30.0  # redis-server or `receiver serve` ready
STOP_TIMEOUT: Final = GRACEFUL_TIMEOUT + 10.0  # `receiver serve` gone after SIGTERM
DRAIN_TIMEOUT: Final = 20.0  # operations in flight when the load stops
QUIET_TIMEOUT: Final = 5.0  # the workers close the connections of a client that closed them
STATS_TIMEOUT: Final = 15.0  # statistics flushed and equal to what the client counted
HANG_SLACK: Final = 1.0  # a hanging handler is answered within DEADLINE + this
SLOW_SEND_SLACK: Final = 1.5  # a slow sender is answered (or cut) within BODY_TIMEOUT + this
SLOW_SEND_GIVE_UP: Final = BODY_TIMEOUT + 8.0  # past this, a slow sender counts as a hang
SLOW_READ_GIVE_UP: Final = 20.0

# The slow clients: a body trickled at 64 bytes every 0.25 s (256 B/s; a 4 KB order would take
# 16 s), and an answer read 512 bytes at a time with 10 ms pauses through a 4 KiB receive buffer.
TRICKLE_BYTES, TRICKLE_PAUSE = 64, 0.25
READ_BYTES, READ_PAUSE, READ_BUFFER = 512, 0.01, 4096
SLOW_READ_BODY = 48 * 1024  # about the size of a slow reader's order (and answer)
OVERSIZED_BODY = 96 * 1024  # over MAX_BODY_SIZE

# When Redis is surely down or up again for the receiver: a SIGKILLed server is gone within
# KILL_SETTLE; after the restart each worker tries Redis again at most 1 s after its last failure
# (RedisStore's retry interval) plus one operation's timeout.
KILL_SETTLE: Final = 0.2
RESTART_SETTLE: Final = DEFAULT_RETRY_INTERVAL + store_timeout() + 0.5
KEEPALIVE_REUSE_MAX: Final = 2.0  # seconds idle after which a task opens a new connection
AOF_TOKEN_MAX_AGE: Final = 240.0  # older pre-kill tokens are not replayed (the receiver: 330 s)

# Per worker, between the end of the warm-up and the end of the run (both sampled with no
# client connected): descriptors other than connections may not grow at all; no connection to
# Redis is left open once Redis closed it (a connection from before the kill would be); the
# pool of Redis connections (it grows with concurrent operations, and is made afresh after an
# outage) stays within the client's connections plus two (statistics flush and read); resident
# memory grows a few MiB at most.
OTHER_FD_GROWTH_MAX: Final = 0
REDIS_CONNECTIONS_OVER_CLIENTS: Final = 2
RSS_GROWTH_MAX_MIB: Final = 8.0

# Operations per cycle of 200: the proportions of the mix.
MIX: Final[tuple[tuple[str, int], ...]] = (
    ("valid", 126),
    ("bad_secret", 10),
    ("unknown_webhook", 10),
    ("oversized", 8),
    ("raise", 12),
    ("hang", 4),
    ("replay", 24),
    ("slow_read", 4),
    ("slow_send", 2),
)

# Categories of the calls, in table order, with what each expects. A replay operation makes two
# calls (replay_first, then one of replay / replay_outage / replay_edge by the state of Redis),
# or, after the restart, one: a token refused as replayed before the kill, again (replay_aof).
CATEGORIES: Final[dict[str, str]] = {
    "valid": "200, the exact answer",
    "bad_secret": "401 bad_signature",
    "unknown_webhook": "401 unknown_webhook",
    "oversized": "413 body_too_large",
    "slow_send": f"408 (or closed) within {BODY_TIMEOUT:g}+{SLOW_SEND_SLACK:g} s",
    "slow_read": "200, the exact answer, read slowly",
    "raise": f"200 {REJECT_ERROR_ID}",
    "hang": f"200 {REJECT_ERROR_ID} within {DEADLINE:g}+{HANG_SLACK:g} s",
    "replay_first": "200, the exact answer",
    "replay": "401 token_replayed (Redis up)",
    "replay_outage": "200, the exact answer (Redis down: open)",
    "replay_edge": "401 token_replayed or 200 (Redis going down/up)",
    "replay_aof": "401 token_replayed (token seen before the kill)",
}
# Calls that must happen in every run (replay_edge may be missed by luck).
REQUIRED: Final = tuple(name for name in CATEGORIES if name != "replay_edge")


# -- processes --------------------------------------------------------------------------------


class RedisProcess(RedisServer):
    """The run's redis-server: AOF with ``appendfsync always`` (tests/redis_server.py), waited
    for and killed without blocking the client's event loop."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, appendonly=True)

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(self.ready):
                return
            await asyncio.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port} in {timeout:g} s")

    async def start_async(self) -> None:
        self.spawn()
        await self.wait_ready()

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no final AOF rewrite; what was fsynced stays."""
        await asyncio.to_thread(self.stop)


@dataclass
class ProcessSample:
    """One worker at one moment: its open file descriptors (of which Redis connections, and
    connections from clients) and its resident memory."""

    fds: int
    redis_connections: int
    client_connections: int
    rss_kib: int
    stale_redis_connections: int = 0  # to Redis, not ESTABLISHED (closed by Redis, kept here)

    @property
    def other_fds(self) -> int:
        """The descriptors that are not connections (listening socket, pipes, files, ...)."""
        return self.fds - self.redis_connections - self.client_connections


def proc_children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(entry.name))
    return sorted(children)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


TCP_ESTABLISHED, TCP_LISTEN = "01", "0A"


def tcp_connections(redis_port: int, server_port: int) -> tuple[dict[str, str], set[str]]:
    """From /proc/net/tcp: the TCP connections to Redis (inode -> state), and the inodes of
    those accepted by the server (its listening socket excluded)."""
    to_redis: dict[str, str] = {}
    accepted = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if int(remote.rpartition(":")[2], 16) == redis_port:
                to_redis[inode] = state
            elif int(local.rpartition(":")[2], 16) == server_port and state != TCP_LISTEN:
                accepted.add(inode)
    return to_redis, accepted


def sample_process(pid: int, redis_port: int, server_port: int) -> ProcessSample:
    to_redis, accepted = tcp_connections(redis_port, server_port)
    fds = redis = stale = clients = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        fds += 1
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inode = target[8:-1]
                redis += inode in to_redis
                stale += to_redis.get(inode, TCP_ESTABLISHED) != TCP_ESTABLISHED
                clients += inode in accepted
    return ProcessSample(fds, redis, clients, rss_kib(pid), stale)


class ServeProcess:
    """``receiver serve bench.fault_app:app --workers N`` in its own process group, its output in
    a log file."""

    def __init__(
        self, workdir: Path, store_url: str, workers: int, port: int | None = None
    ) -> None:
        self.workdir = workdir
        self.store_url = store_url
        self.workers = workers
        self.port = port or free_port()
        self.log_path = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.graceful_timeout_supported = graceful_timeout_supported()
        self.returncode: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "receiver.cli", "serve", APP,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", "info",
        ]  # fmt: skip
        if self.graceful_timeout_supported:
            command += ["--graceful-timeout", f"{GRACEFUL_TIMEOUT:g}"]
        return command

    def shell_command(self) -> str:
        return "receiver serve " + " ".join(self.command()[4:])

    def spawn(self) -> None:
        """Start the process (returns at once; see :meth:`start`)."""
        env = {
            **os.environ,
            "RECEIVER_SECRETS": json.dumps({WEBHOOK_ID: SECRET}),
            "RECEIVER_STORE": self.store_url,
            ADMIN_TOKEN_ENV: ADMIN_TOKEN,
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # away from the terminal's Ctrl-C: stopped by stop()
            )

    async def start(self) -> None:
        """Start, and wait until every worker runs and /healthz answers."""
        self.spawn()
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            healthy = 0
            while healthy < 4 * self.workers or len(self.worker_pids()) < self.workers:
                if self.process.poll() is not None:
                    raise RuntimeError(f"receiver serve exited:\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"receiver serve not ready in {START_TIMEOUT:g} s")
                try:
                    answer = await client.get("/healthz")
                    healthy += answer.status_code == 200
                except httpx.TransportError:
                    await asyncio.sleep(0.05)

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the serve process started by multiprocessing's
        spawn (not its resource tracker)."""
        if self.process is None:
            return []
        return [pid for pid in proc_children(self.process.pid) if b"spawn_main" in cmdline(pid)]

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL to the whole process group if it does not exit."""
        process, self.process = self.process, None
        if process is None:
            return
        children = proc_children(process.pid)  # the workers and multiprocessing's tracker
        try:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                self.returncode = process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.returncode = None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            for pid in children:  # left behind, if the parent could not stop them
                if alive(pid) and cmdline(pid).startswith(sys.executable.encode()):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def graceful_timeout_supported() -> bool:
    """Whether this checkout's ``receiver serve`` has ``--graceful-timeout`` (being added)."""
    from receiver.cli import serve

    return any(param.name == "graceful_timeout" for param in serve.params)


# -- calls ------------------------------------------------------------------------------------


@dataclass
class Record:
    """One HTTP call of the client."""

    category: str
    status: int | str  # the HTTP status, or what happened instead ("closed", "hang", an error)
    latency: float
    known: bool  # carries the known webhook id and reaches verification: counted by the receiver
    ok: bool
    detail: str = ""
    object_id: str = ""  # the order's id, when the receiver reads it (its call log names it)


@dataclass
class Timeline:
    """Monotonic times of the run's events."""

    start: float = field(default_factory=time.monotonic)
    kill_sent: float | None = None
    restart_spawned: float | None = None
    restart_ready: float | None = None

    def redis_state(self, begin: float, end: float) -> str:
        """What the receiver saw of Redis for checks made between ``begin`` and ``end``:
        ``"up"``, ``"down"`` or ``"edge"`` (a transition may fall in between)."""
        if self.kill_sent is None or end < self.kill_sent:
            return "up"
        if self.restart_ready is not None and begin > self.restart_ready + RESTART_SETTLE:
            return "up"
        if begin > self.kill_sent + KILL_SETTLE and (
            self.restart_spawned is None or end < self.restart_spawned
        ):
            return "down"
        return "edge"

    def settled_after_restart(self, now: float) -> bool:
        return self.restart_ready is not None and now > self.restart_ready + RESTART_SETTLE


@dataclass
class Session:
    """One connection task's httpx client, and when it last made a call."""

    client: httpx.AsyncClient
    last_used: float = field(default_factory=time.monotonic)


class ConnectionClosed(Exception):
    """The server closed the connection before a whole answer arrived."""


def order_template(min_size: int = 0) -> dict[str, Any]:
    """A Purchase draft order of at least ``min_size`` bytes of JSON (lines added)."""
    line = {"item_id": "ITM-1111-1111-0001", "quantity": 5}
    count = 1
    while True:
        order = samples.purchase_order(lines=[line] * count, seed=1)
        if len(encode(order)) >= min_size:
            break
        count = max(count + 1, math.ceil(count * min_size / len(encode(order))))
    text = json.dumps(order)
    assert '"error"' not in text, "the template must carry no errors (they would be cleared)"
    return order


def encode(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def expected_answer(order: dict[str, Any]) -> dict[str, Any]:
    """The answer ``bench.fault_app`` must give to ``order`` (which carries no errors), written
    independently of the receiver's models."""
    notes = order.get("notes") or ""
    if notes in (RAISE, HANG):
        return {**order, "error": {"id": REJECT_ERROR_ID, "message": DEFAULT_REJECT_MESSAGE}}
    message = refusal_for(notes)
    if message is None:
        return order
    ordering = []
    for parameter in order["parameters"]["ordering"]:
        if parameter.get("externalId") == REFUSED_PARAMETER:
            constraints = {**(parameter.get("constraints") or {}), "hidden": False}
            constraints["required"] = True
            parameter = {
                **parameter,
                "constraints": constraints,
                "error": {"id": REFUSAL_ID, "message": message},
            }
        ordering.append(parameter)
    return {**order, "parameters": {**order["parameters"], "ordering": ordering}}


def error_id(payload: bytes) -> str | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def same_answer(payload: bytes, order: dict[str, Any]) -> str:
    """ "" when ``payload`` is the expected answer to ``order``, else what differs."""
    try:
        answer = json.loads(payload)
    except ValueError:
        return f"not JSON: {payload[:120]!r}"
    expected = expected_answer(order)
    if answer == expected:
        return ""
    if not isinstance(answer, dict):
        return f"not an object: {payload[:120]!r}"
    keys = sorted(k for k in expected.keys() | answer.keys() if answer.get(k) != expected.get(k))
    return f"answer differs at {keys[:5]}: {payload[:160]!r}"


def parse_head(head: bytes) -> tuple[int, int]:
    """The status and Content-Length of a response head."""
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return status, length


async def read_response(
    reader: asyncio.StreamReader, chunk: int = 65536, pause: float = 0.0
) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length, read ``chunk`` bytes at a time with
    ``pause`` seconds after each read."""
    buffer = bytearray()

    async def more() -> None:
        data = await reader.read(chunk)
        if not data:
            raise ConnectionClosed
        buffer.extend(data)
        if pause:
            await asyncio.sleep(pause)

    while b"\r\n\r\n" not in buffer:
        await more()
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status, length = parse_head(head)
    buffer = bytearray(rest)
    while len(buffer) < length:
        await more()
    return status, bytes(buffer[:length])


class Load:
    """The client: ``connections`` tasks doing one operation after another, kinds taken in turn
    from the cycle of :data:`MIX`; a record per call."""

    def __init__(self, base_url: str, port: int, timeline: Timeline) -> None:
        self.base_url = base_url
        self.port = port
        self.timeline = timeline
        self.records: list[Record] = []
        self.cycle = weighted_cycle(MIX)
        self.slots = itertools.count()
        self.numbers = itertools.count()
        self.run_id = uuid.uuid4().hex[:8]
        self.small = order_template()
        self.big = order_template(SLOW_READ_BODY)
        self.oversized = encode(order_template(OVERSIZED_BODY))
        assert len(self.oversized) > MAX_BODY_SIZE
        # Tokens whose replay was refused before the kill: replayed again after the restart.
        self.seen_before_kill: list[tuple[str, float, dict[str, Any]]] = []
        self.aof_turn = False
        # Each connection task has its own httpx client of one connection (httpcore's pool costs
        # CPU per request in proportion to its connections: one shared pool of 64 would make the
        # client, not the server, the bottleneck).
        self.session: contextvars.ContextVar[Session] = contextvars.ContextVar("session")
        # Plain HTTP; one TLS context for all the clients instead of one each (each loads the CA
        # bundle: ~60 ms of blocked event loop per client).
        self.tls = ssl.create_default_context()
        self.operations: dict[str, Callable[[], Awaitable[None]]] = {
            "valid": self.valid,
            "bad_secret": self.bad_secret,
            "unknown_webhook": self.unknown_webhook,
            "oversized": self.oversized_body,
            "raise": self.raising,
            "hang": self.hanging,
            "replay": self.replay,
            "slow_read": self.slow_read,
            "slow_send": self.slow_send,
        }

    async def run(self, until: float, connections: int) -> None:
        """``connections`` tasks until ``until`` (monotonic), then their operations in flight
        finish; every connection is closed when this returns."""
        async with asyncio.timeout(until - time.monotonic() + DRAIN_TIMEOUT):
            async with asyncio.TaskGroup() as group:
                for _ in range(connections):
                    group.create_task(self.connection(until))

    async def connection(self, until: float) -> None:
        session = Session(self.new_client())
        self.session.set(session)  # this task's context only
        try:
            while time.monotonic() < until:
                kind = self.cycle[next(self.slots) % len(self.cycle)]
                await self.operations[kind]()
        finally:
            await session.client.aclose()

    def new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        return httpx.AsyncClient(
            base_url=self.base_url, limits=limits, timeout=CALL_TIMEOUT, verify=self.tls
        )

    # -- helpers

    def order(self, notes: str | None = None, *, big: bool = False) -> dict[str, Any]:
        """The order of one call: its own id (to find the call in the server's log) and notes."""
        number = next(self.numbers)
        digits = f"{number:012d}"[-12:]
        order_id = f"ORD-{digits[:4]}-{digits[4:8]}-{digits[8:]}"
        return {
            **(self.big if big else self.small),
            "id": order_id,
            "notes": notes or f"call {number}",
        }

    def token(self, secret: str = SECRET, webhook_id: str = WEBHOOK_ID) -> str:
        # A jti per call: two calls in one second would otherwise get the same token.
        return sign_token(secret, webhook_id, jti=f"{self.run_id}-{next(self.numbers)}")

    def record(self, category: str, status: int | str, started: float, *, known: bool,
               ok: bool, detail: str = "", object_id: str = "") -> Record:  # fmt: skip
        latency = time.monotonic() - started
        record = Record(category, status, latency, known, ok, detail, object_id)
        self.records.append(record)
        return record

    async def post(
        self, body: bytes | AsyncIterator[bytes], token: str
    ) -> tuple[int | str, bytes, float]:
        """POST with httpx: (status or the error's name, payload, start time)."""
        session = self.session.get()
        if time.monotonic() - session.last_used > KEEPALIVE_REUSE_MAX:
            # Idle since a slow operation on a raw socket: the server may be closing this
            # connection right now (uvicorn's keep-alive timeout, 5 s); a request sent on it
            # would be lost in that race. A new connection instead, as careful clients do.
            await session.client.aclose()
            session.client = self.new_client()
        started = time.monotonic()
        try:
            answer = await session.client.post(
                PATH,
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            return type(exc).__name__, b"", started
        finally:
            session.last_used = time.monotonic()
        return answer.status_code, answer.content, started

    async def call_expecting_answer(
        self, category: str, order: dict[str, Any], token: str
    ) -> Record:
        status, payload, started = await self.post(encode(order), token)
        problem = f"status {status}: {payload[:160]!r}" if status != 200 else ""
        problem = problem or same_answer(payload, order)
        return self.record(
            category, status, started, known=True, ok=not problem, detail=problem,
            object_id=order["id"],
        )  # fmt: skip

    async def call_expecting_error(
        self, category: str, body: bytes | AsyncIterator[bytes], token: str, status_wanted: int,
        error_wanted: str, *, known: bool,
    ) -> Record:  # fmt: skip
        status, payload, started = await self.post(body, token)
        got = error_id(payload)
        ok = status == status_wanted and got == error_wanted
        detail = "" if ok else f"status {status}, id {got}: {payload[:160]!r}"
        return self.record(category, status, started, known=known, ok=ok, detail=detail)

    # -- operations

    async def valid(self) -> None:
        await self.call_expecting_answer("valid", self.order(), self.token())

    async def bad_secret(self) -> None:
        token = wrong_secret_token(SECRET, WEBHOOK_ID, jti=f"{self.run_id}-{next(self.numbers)}")
        body = encode(self.order())
        await self.call_expecting_error(
            "bad_secret", body, token, 401, tokens.BAD_SIGNATURE, known=True
        )

    async def unknown_webhook(self) -> None:
        token = self.token(webhook_id=UNKNOWN_WEBHOOK_ID)
        body = encode(self.order())
        await self.call_expecting_error(
            "unknown_webhook", body, token, 401, tokens.UNKNOWN_WEBHOOK, known=False
        )

    async def oversized_body(self) -> None:
        # Every other one without a Content-Length (chunked): refused while it is being read.
        chunked = next(self.numbers) % 2 == 0
        body: bytes | AsyncIterator[bytes] = (
            self.chunks(self.oversized) if chunked else self.oversized
        )
        await self.call_expecting_error(
            "oversized", body, self.token(), 413, "body_too_large", known=True
        )

    @staticmethod
    async def chunks(body: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
        for index in range(0, len(body), size):
            yield body[index : index + size]

    async def raising(self) -> None:
        await self.call_expecting_answer("raise", self.order(RAISE), self.token())

    async def hanging(self) -> None:
        record = await self.call_expecting_answer("hang", self.order(HANG), self.token())
        if record.ok and record.latency >= HANG_SECONDS:
            record.ok = False
            record.detail = f"answered after {record.latency:.2f} s: the handler was waited for"

    async def replay(self) -> None:
        now = time.monotonic()
        if self.seen_before_kill and self.timeline.settled_after_restart(now):
            self.aof_turn = not self.aof_turn
            if self.aof_turn:
                token, issued, order = self.seen_before_kill.pop()
                if now - issued < AOF_TOKEN_MAX_AGE:
                    await self.call_expecting_error(
                        "replay_aof", encode({**order, "notes": f"{order['notes']} again"}),
                        token, 401, REPLAYED, known=True,
                    )  # fmt: skip
                    return
        token, issued, begin = self.token(), time.time(), time.monotonic()
        await self.call_expecting_answer("replay_first", self.order(), token)
        order = self.order()  # another body (other notes) with the same token
        status, payload, started = await self.post(encode(order), token)
        state = self.timeline.redis_state(begin, time.monotonic())
        refused = status == 401 and error_id(payload) == REPLAYED
        let_through = status == 200 and not same_answer(payload, order)  # the guard skipped
        if state == "up":
            category, ok = "replay", refused
        elif state == "down":
            category, ok = "replay_outage", let_through
        else:
            category, ok = "replay_edge", refused or let_through
        detail = "" if ok else f"status {status}: {payload[:160]!r}"
        self.record(category, status, started, known=True, ok=ok, detail=detail)
        if category == "replay" and ok and self.timeline.kill_sent is None:
            self.seen_before_kill.append((token, issued, order))

    async def raw_connection(
        self, receive_buffer: int | None = None, limit: int = 65536
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if receive_buffer is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", self.port))
            return await asyncio.open_connection(sock=sock, limit=limit)
        except BaseException:
            sock.close()
            raise

    def request_head(self, token: str, length: int) -> bytes:
        return (
            f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n"
        ).encode()

    async def slow_send(self) -> None:
        """Headers at once, then the body 64 bytes every 0.25 s: the receiver must answer 408
        (or close the connection) once its body_timeout has passed, never wait for the rest."""
        body = encode(self.order())
        started = time.monotonic()
        status: int | str
        payload = b""
        reader, writer = await self.raw_connection()
        try:
            writer.write(self.request_head(self.token(), len(body)))
            await writer.drain()
            trickle = asyncio.create_task(self.trickle(writer, body))
            try:
                async with asyncio.timeout(SLOW_SEND_GIVE_UP):
                    status, payload = await read_response(reader)
            except TimeoutError:
                status = "hang"
            except (ConnectionClosed, ConnectionError, asyncio.IncompleteReadError):
                status = "closed"
            finally:
                trickle.cancel()
                await asyncio.gather(trickle, return_exceptions=True)
        finally:
            await close_writer(writer)
        elapsed = time.monotonic() - started
        ok = (status == 408 and error_id(payload) == "body_timeout") or status == "closed"
        detail = "" if ok else f"status {status}: {payload[:160]!r}"
        if ok and elapsed > BODY_TIMEOUT + SLOW_SEND_SLACK:
            ok, detail = False, f"{status} after {elapsed:.2f} s"
        self.record("slow_send", status, started, known=True, ok=ok, detail=detail)

    @staticmethod
    async def trickle(writer: asyncio.StreamWriter, body: bytes) -> None:
        with contextlib.suppress(ConnectionError):
            for index in range(0, len(body), TRICKLE_BYTES):
                await asyncio.sleep(TRICKLE_PAUSE)
                writer.write(body[index : index + TRICKLE_BYTES])
                await writer.drain()

    async def slow_read(self) -> None:
        """A valid call with a ~48 KB answer, read 512 bytes at a time with pauses through a
        small receive buffer: the whole, exact answer must arrive."""
        order = self.order(big=True)
        body = encode(order)
        started = time.monotonic()
        status: int | str
        payload = b""
        reader, writer = await self.raw_connection(receive_buffer=READ_BUFFER, limit=READ_BYTES)
        try:
            writer.write(self.request_head(self.token(), len(body)) + body)
            await writer.drain()
            async with asyncio.timeout(SLOW_READ_GIVE_UP):
                status, payload = await read_response(reader, READ_BYTES, READ_PAUSE)
        except TimeoutError:
            status = "hang"
        except (ConnectionClosed, ConnectionError, asyncio.IncompleteReadError):
            status = "closed"
        finally:
            await close_writer(writer)
        problem = f"status {status}: {payload[:160]!r}" if status != 200 else ""
        problem = problem or same_answer(payload, order)
        self.record("slow_read", status, started, known=True, ok=not problem, detail=problem)


async def close_writer(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(2):
            await writer.wait_closed()


def weighted_cycle(mix: tuple[tuple[str, int], ...]) -> list[str]:
    """The kinds of one cycle, each as often as its weight, spread evenly (smooth weighted
    round-robin)."""
    total = sum(weight for _, weight in mix)
    current = dict.fromkeys((name for name, _ in mix), 0)
    cycle = []
    for _ in range(total):
        for name, weight in mix:
            current[name] += weight
        chosen = max(current, key=lambda name: current[name])
        current[chosen] -= total
        cycle.append(chosen)
    return cycle


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    duration: float = 60.0
    connections: int = 64
    workers: int = 2

    @property
    def warmup(self) -> float:
        return min(5.0, self.duration / 10)


@dataclass
class Result:
    config: Config
    command: str
    records: list[Record]
    timeline: Timeline
    pids_before: list[int]
    pids_after: list[int]
    pids_alive_after: list[int]
    samples_before: dict[int, ProcessSample]
    samples_after: dict[int, ProcessSample]
    statistics: dict[str, Any]
    statistics_scope: str | None
    statistics_reads: int
    redis_starts: int
    serve_command: str = ""
    load_average: str = ""
    serve_exit: int | None = None
    log_counts: dict[str, int] = field(default_factory=dict)
    call_durations: dict[str, float] = field(default_factory=dict)  # object id -> s (call log)
    load_seconds: float = 0.0  # from the start of the warm-up to the last answer

    def expected_statistics(self) -> dict[str, int]:
        return expected_statistics(self.records)

    def by_category(self) -> dict[str, list[Record]]:
        grouped: dict[str, list[Record]] = {name: [] for name in CATEGORIES}
        for record in self.records:
            grouped[record.category].append(record)
        return grouped

    def hang_durations(self) -> list[float | None]:
        """Seconds the receiver took on each hang call (its call log), None if not found."""
        return [self.call_durations.get(r.object_id) for r in self.by_category()["hang"]]

    def unexpected(self) -> list[Record]:
        return [record for record in self.records if not record.ok]

    def invariants(self) -> list[tuple[str, bool, str]]:
        """(what, held, figures) for every invariant of the run."""
        checks: list[tuple[str, bool, str]] = []
        unexpected = self.unexpected()
        checks.append(("no unexpected answer", not unexpected, f"{len(unexpected)} unexpected"))
        grouped = self.by_category()
        missing = [name for name in REQUIRED if not grouped[name]]
        checks.append(
            ("every kind of call was made", not missing, f"none of {missing}" if missing else "")
        )
        durations = self.hang_durations()
        logged = [duration for duration in durations if duration is not None]
        hang = max(logged, default=0.0)
        checks.append(
            (
                f"hanging handlers answered within {DEADLINE:g}+{HANG_SLACK:g} s by the receiver",
                bool(durations) and len(logged) == len(durations) and hang <= DEADLINE + HANG_SLACK,
                f"max {hang:.3f} s in its call log; {len(durations) - len(logged)} calls not"
                f" found there; max {max((r.latency for r in grouped['hang']), default=0.0):.3f}"
                f" s at the client, queueing included",
            )
        )
        slow = max((r.latency for r in grouped["slow_send"]), default=0.0)
        checks.append(
            (
                f"slow senders cut within {BODY_TIMEOUT:g}+{SLOW_SEND_SLACK:g} s",
                bool(grouped["slow_send"]) and slow <= BODY_TIMEOUT + SLOW_SEND_SLACK,
                f"max {slow:.3f} s",
            )
        )
        checks.append(
            (
                "Redis killed (SIGKILL) and restarted",
                self.timeline.kill_sent is not None
                and self.timeline.restart_ready is not None
                and self.redis_starts == 2,
                f"{self.redis_starts} starts",
            )
        )
        same = (
            len(self.pids_before) == self.config.workers
            and self.pids_before == self.pids_after
            and self.pids_alive_after == self.pids_before
        )
        checks.append(
            ("no worker lost", same, f"before {self.pids_before}, after {self.pids_after}")
        )
        for pid in self.pids_before:
            before, after = self.samples_before.get(pid), self.samples_after.get(pid)
            if before is None or after is None:
                checks.append((f"worker {pid} sampled", False, "missing sample"))
                continue
            rss_growth = (after.rss_kib - before.rss_kib) / 1024
            checks.append(
                (
                    f"worker {pid}: fds other than connections +{OTHER_FD_GROWTH_MAX} at most",
                    after.other_fds - before.other_fds <= OTHER_FD_GROWTH_MAX
                    and after.client_connections == 0,
                    f"{before.other_fds} -> {after.other_fds}; all fds {before.fds} -> {after.fds}",
                )
            )
            most = self.config.connections + REDIS_CONNECTIONS_OVER_CLIENTS
            checks.append(
                (
                    f"worker {pid}: Redis connections all live, {most} at most",
                    after.redis_connections <= most and after.stale_redis_connections == 0,
                    f"{before.redis_connections} -> {after.redis_connections},"
                    f" {after.stale_redis_connections} not established",
                )
            )
            checks.append(
                (
                    f"worker {pid}: RSS +{RSS_GROWTH_MAX_MIB:g} MiB at most",
                    rss_growth <= RSS_GROWTH_MAX_MIB,
                    f"{before.rss_kib / 1024:.1f} -> {after.rss_kib / 1024:.1f} MiB",
                )
            )
        expected = self.expected_statistics()
        uncertain = uncertain_calls(self.records)
        got = {name: self.statistics.get(name) for name in expected}
        checks.append(
            (
                "deployment statistics = calls the client made",
                self.statistics_scope == "deployment"
                and statistics_match(self.statistics, expected, uncertain),
                f"receiver {got} ({self.statistics_scope}), client {expected}"
                + (f" + {uncertain} calls without an answer" if uncertain else ""),
            )
        )
        internal = self.log_counts.get("internal errors", 0)
        checks.append(("no internal error in the log", internal == 0, f"{internal}"))
        return checks

    @property
    def passed(self) -> bool:
        return all(held for _, held, _ in self.invariants())


def answered(record: Record) -> bool:
    """Whether the client knows how the receiver counted the call: it got an answer, or it is a
    slow sender cut by the server (a failure: 408, or 400 when the connection went first)."""
    return isinstance(record.status, int) or (
        record.category == "slow_send" and record.status == "closed"
    )


def expected_statistics(records: list[Record]) -> dict[str, int]:
    """What the receiver must count: the calls with the known webhook id that reached
    verification and were answered (see :func:`answered`); 2xx answers are successes. A token
    the webhook's secret did not sign (``bad_secret``) is counted apart, never in these."""
    known = [
        record
        for record in records
        if record.known and answered(record) and record.category != "bad_secret"
    ]
    successes = sum(isinstance(r.status, int) and 200 <= r.status < 300 for r in known)
    return {"total": len(known), "successes": successes, "failures": len(known) - successes}


def uncertain_calls(records: list[Record]) -> int:
    """Calls with the known webhook id that got no answer (a transport error): the receiver may
    have counted them (as a success or a failure) or not. None in a good run."""
    return sum(
        record.known and not answered(record) and record.category != "bad_secret"
        for record in records
    )


def statistics_match(got: dict[str, Any], expected: dict[str, int], uncertain: int) -> bool:
    """Exactly equal; or, when some calls got no answer, the receiver counted at most those on
    top (each as a success or a failure)."""
    extra = {}
    for name, value in expected.items():
        seen = got.get(name)
        if not isinstance(seen, int) or seen < value:
            return False
        extra[name] = seen - value
    return extra["total"] <= uncertain and extra["total"] == extra["successes"] + extra["failures"]


LOG_PATTERNS: Final = {
    "handler raised": " raised on ",
    "deadline missed": "missed its",
    "store unavailable": "is unavailable (",
    "store back": "is back after",
    "flush failed": "Flushing statistics failed",
    "internal errors": "Unexpected error while serving a call",
    "worker died": "died",
}


CALL_LINE: Final = re.compile(r"\bcall webhook_id=\S+ .*?object_id=(\S+) .*?duration_ms=([\d.]+)")


def call_durations(text: str) -> dict[str, float]:
    """Seconds the receiver spent on each call, by object id, from its call log (INFO)."""
    return {
        match.group(1): float(match.group(2)) / 1000
        for match in CALL_LINE.finditer(text)
        if match.group(1) != "-"
    }


STORE_DOWN: Final = re.compile(r"Shared store \S+ is unavailable \((\w+)\)")


def count_log(text: str) -> dict[str, int]:
    """Lines of interest in the server's log; the store outages also by the error that began
    them (the kill makes one ConnectionError outage per worker; a TimeoutError outage while Redis
    runs means the receiver gave up on a healthy Redis)."""
    lines = text.splitlines()
    counts = {name: sum(text in line for line in lines) for name, text in LOG_PATTERNS.items()}
    for error, count in sorted(Counter(STORE_DOWN.findall(text)).items()):
        counts[f"store unavailable ({error})"] = count
    return counts


async def faults(
    redis: RedisProcess, timeline: Timeline, kill_at: float, restart_at: float
) -> None:
    await asyncio.sleep(max(0.0, kill_at - time.monotonic()))
    timeline.kill_sent = time.monotonic()
    await redis.kill()
    await asyncio.sleep(max(0.0, restart_at - time.monotonic()))
    timeline.restart_spawned = time.monotonic()
    redis.spawn()
    await redis.wait_ready()
    timeline.restart_ready = time.monotonic()


async def read_statistics(
    base_url: str, expected: dict[str, int], uncertain: int = 0
) -> tuple[dict[str, Any], str | None, int]:
    """The deployment statistics once every worker has flushed: read until they equal what the
    client counted (or STATS_TIMEOUT), then once more after two flush intervals (nothing late
    may arrive). (statistics, scope, reads)."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    statistics: dict[str, Any] = {}
    scope: str | None = None
    reads = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:

        async def read() -> None:
            nonlocal statistics, scope, reads
            reads += 1
            answer = await client.get(f"/_receiver/webhooks/{WEBHOOK_ID}", headers=headers)
            if answer.status_code == 200:
                data = answer.json()
                statistics = {
                    **data.get("statistics", {}),
                    # Wrong-signature calls, counted apart from the platform-shaped numbers.
                    "unverified": data.get("unverified", {}).get("total", 0),
                }
                scope = data.get("$meta", {}).get("scope")

        deadline = time.monotonic() + STATS_TIMEOUT
        while True:
            await read()
            matches = statistics_match(statistics, expected, uncertain)
            if (matches and scope == "deployment") or time.monotonic() > deadline:
                break
            await asyncio.sleep(STATS_FLUSH_INTERVAL / 2)
        await asyncio.sleep(2 * STATS_FLUSH_INTERVAL + 0.2)
        for _ in range(3):  # both workers, most likely: each read flushes the worker reading
            await read()
    return statistics, scope, reads


async def quiet_samples(
    server: ServeProcess, redis_port: int
) -> tuple[list[int], dict[int, ProcessSample]]:
    """Worker pids and their samples once the workers have closed the client's connections
    (the client closed them; waits QUIET_TIMEOUT at most)."""
    deadline = time.monotonic() + QUIET_TIMEOUT
    while True:
        await asyncio.sleep(0.2)
        pids = server.worker_pids()
        samples = {pid: sample_process(pid, redis_port, server.port) for pid in pids}
        if time.monotonic() > deadline or not any(
            sample.client_connections for sample in samples.values()
        ):
            return pids, samples


async def drive(config: Config, redis: RedisProcess, server: ServeProcess) -> Result:
    await redis.start_async()
    await server.start()
    timeline = Timeline()
    start = timeline.start
    load = Load(server.base_url, server.port, timeline)
    print(f"warm-up {config.warmup:g} s ...", flush=True)
    await load.run(start + config.warmup, config.connections)
    pids_before, samples_before = await quiet_samples(server, redis.port)
    kill_at, restart_at = start + config.duration / 3, start + config.duration / 2
    end = start + max(config.duration, config.warmup + 1)
    print(
        f"load until {end - start:.0f} s; Redis killed at {kill_at - start:.1f} s, restarted at"
        f" {restart_at - start:.1f} s ...",
        flush=True,
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(load.run(end, config.connections))
        group.create_task(faults(redis, timeline, kill_at, restart_at))
    load_seconds = time.monotonic() - start
    expected = expected_statistics(load.records)
    uncertain = uncertain_calls(load.records)
    statistics, scope, reads = await read_statistics(server.base_url, expected, uncertain)
    pids_after, samples_after = await quiet_samples(server, redis.port)
    running = [pid for pid in pids_before if alive(pid)]
    return Result(
        config=config,
        command="",
        records=load.records,
        timeline=timeline,
        pids_before=pids_before,
        pids_after=pids_after,
        pids_alive_after=running,
        samples_before=samples_before,
        samples_after=samples_after,
        statistics=statistics,
        statistics_scope=scope,
        statistics_reads=reads,
        redis_starts=redis.starts,
        load_seconds=load_seconds,
    )


class FaultRun:
    """One run. :meth:`execute` starts every process and stops it before returning or raising;
    :meth:`abort` (from another thread: a watchdog) kills them by pid, which ends every wait of
    the run at once.

    ``bound``: seconds the run may take from the start of Redis to the statistics read (its
    asyncio part; stopping the server takes STOP_TIMEOUT more at most). ``server_log``: where to
    copy the output of ``receiver serve`` (it is deleted with the temp dir otherwise)."""

    def __init__(
        self,
        config: Config,
        *,
        command: str = "",
        server_log: Path | None = None,
        bound: float | None = None,
    ) -> None:
        self.config = config
        self.command = command or default_command(config)
        self.server_log = server_log
        self.bound = bound or config.duration + 2 * START_TIMEOUT + DRAIN_TIMEOUT + STATS_TIMEOUT
        self.redis: RedisProcess | None = None
        self.server: ServeProcess | None = None
        self.aborted = False

    def execute(self) -> Result:
        load_average = read_load_average()
        with contextlib.ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="receiver-faults-")))
            redis = self.redis = RedisProcess(work / "redis")
            stack.callback(redis.stop)
            store_url = f"{redis.url}?prefix=faults-{uuid.uuid4().hex[:8]}:"
            server = self.server = ServeProcess(work, store_url, self.config.workers)
            stack.callback(server.stop)

            async def bounded() -> Result:
                async with asyncio.timeout(self.bound):
                    return await drive(self.config, redis, server)

            try:
                result = asyncio_run(bounded())
            finally:
                server.stop()
                if self.server_log is not None:
                    shutil.copyfile(server.log_path, self.server_log)
            result.serve_exit = server.returncode
            log = server.log_text()
            result.log_counts = count_log(log)
            result.call_durations = call_durations(log)
            result.command = self.command
            result.serve_command = server.shell_command()
            result.load_average = load_average
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def abort(self) -> None:
        """SIGKILL to Redis, the server and its workers (by pid); safe to call at any time."""
        self.aborted = True
        pids: list[int] = []
        server, redis = self.server, self.redis
        if server is not None and server.process is not None:
            pids += [*proc_children(server.process.pid), server.process.pid]
        if redis is not None and redis.process is not None:
            pids.append(redis.process.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def run(config: Config, command: str = "", server_log: Path | None = None) -> Result:
    """:meth:`FaultRun.execute` of a run with these settings."""
    return FaultRun(config, command=command, server_log=server_log).execute()


def read_load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def asyncio_run(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """Run the client on uvloop when installed, with failed imports of sniffio made cheap."""
    with cheap_sniffio():
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
            return asyncio.run(coroutine)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)


@contextlib.contextmanager
def cheap_sniffio() -> Iterator[None]:
    """httpcore tries ``import sniffio`` for every lock it makes; when sniffio is not installed
    each failed import scans sys.path (~0.5 ms of blocked event loop per call). None in
    sys.modules makes the import fail at once, with the same outcome (httpcore assumes asyncio).
    Undone on the way out."""
    if "sniffio" in sys.modules or importlib.util.find_spec("sniffio") is not None:
        yield
        return
    sys.modules["sniffio"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("sniffio", 0) is None:
            del sys.modules["sniffio"]


def default_command(config: Config) -> str:
    return (
        f"python -m bench.faults --duration {config.duration:g} --connections"
        f" {config.connections} --workers {config.workers}"
    )


# -- report -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def statuses(records: list[Record]) -> str:
    counts = Counter(str(record.status) for record in records)
    return ", ".join(f"{status} x{count}" for status, count in sorted(counts.items())) or "-"


def report(result: Result) -> str:
    """The figures and invariants of a run, in Markdown."""
    config, timeline = result.config, result.timeline
    lines = [
        f"# Load with faults {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{result.command}`",
        "",
        f"Server: `{result.serve_command}` (bench/fault_app.py: deadline {DEADLINE:g} s,"
        f" body_timeout {BODY_TIMEOUT:g} s, max_body_size {MAX_BODY_SIZE // 1024} KiB,"
        f" failure_policy reject, replay guard open on store failure, statistics flushed every"
        f" {STATS_FLUSH_INTERVAL:g} s, store operation timeout {store_timeout():g} s"
        f"{' from ' + STORE_TIMEOUT_ENV if os.environ.get(STORE_TIMEOUT_ENV) else ' (default)'})"
        " on redis-server (AOF, appendfsync always).",
        "",
        f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average at the"
        f" start {result.load_average} (other jobs share the machine). {config.connections}"
        f" client connections (one asyncio process, httpx; raw sockets for the slow clients),"
        f" {config.workers} workers. Warm-up {config.warmup:g} s, then the load until"
        f" {config.duration:g} s; {len(result.records)} calls in {result.load_seconds:.1f} s.",
        "",
    ]
    if timeline.kill_sent is not None and timeline.restart_ready is not None:
        spawned = timeline.restart_spawned or timeline.restart_ready
        lines += [
            f"Redis: SIGKILL at {timeline.kill_sent - timeline.start:.1f} s, started again at"
            f" {spawned - timeline.start:.1f} s on the same port and directory, answering"
            f" {(timeline.restart_ready - spawned) * 1000:.0f} ms later.",
            "",
        ]
    lines += [
        "## Calls",
        "",
        "| category | expected | calls | statuses | unexpected | p99 ms | max ms |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, records in result.by_category().items():
        latencies = [record.latency * 1000 for record in records]
        lines.append(
            f"| {name} | {CATEGORIES[name]} | {len(records)} | {statuses(records)} |"
            f" {sum(not record.ok for record in records)} | {percentile(latencies, 0.99):.1f} |"
            f" {max(latencies, default=0.0):.1f} |"
        )
    unexpected = result.unexpected()
    if unexpected:
        lines += ["", f"Unexpected answers ({len(unexpected)}; the first 3 of each category):", ""]
        shown: Counter[str] = Counter()
        for record in unexpected:
            shown[record.category] += 1
            if shown[record.category] <= 3:
                lines.append(f"- {record.category}: {record.detail[:200]}")
    lines += [
        "",
        "## Workers",
        "",
        "Sampled after the warm-up and at the end, each time with no client connected: all"
        " file descriptors; those other than connections (listening socket, pipes, files, event"
        " loop); connections to Redis; resident memory.",
        "",
        "| pid | fds | other fds | Redis connections | RSS MiB |",
        "|---:|---|---|---|---|",
    ]

    def change(before: ProcessSample | None, after: ProcessSample | None, name: str) -> str:
        if before is None or after is None:
            return "-"
        if name == "rss_kib":
            return f"{before.rss_kib / 1024:.1f} -> {after.rss_kib / 1024:.1f}"
        return f"{getattr(before, name)} -> {getattr(after, name)}"

    for pid in sorted(set(result.pids_before) | set(result.pids_after)):
        before, after = result.samples_before.get(pid), result.samples_after.get(pid)
        cells = [
            change(before, after, name)
            for name in ("fds", "other_fds", "redis_connections", "rss_kib")
        ]
        lines.append(f"| {pid} | {' | '.join(cells)} |")
    expected = result.expected_statistics()
    lines += [
        "",
        f"Worker pids before {result.pids_before}, after {result.pids_after}.",
        "",
        "## Deployment statistics",
        "",
        "| | total | successes | failures |",
        "|---|---:|---:|---:|",
        f"| GET /_receiver/webhooks/{WEBHOOK_ID} (scope {result.statistics_scope}) |"
        f" {result.statistics.get('total')} | {result.statistics.get('successes')} |"
        f" {result.statistics.get('failures')} |",
        f"| client: calls with the known webhook id | {expected['total']} |"
        f" {expected['successes']} | {expected['failures']} |",
        f"| client: calls with the known webhook id that got no answer (counted or not) |"
        f" {uncertain_calls(result.records)} | | |",
        "",
        "The client's count excludes the unknown-webhook calls (the receiver keeps no statistics"
        " for a webhook it has no secret for) and includes every other call, 401/408/413 too:"
        " the receiver counts a call once it has found the webhook's secret.",
        "",
        "## Server log",
        "",
        ", ".join(f"{name}: {count}" for name, count in result.log_counts.items())
        + f"; exit code after SIGTERM: {result.serve_exit}.",
        "",
        "## Invariants",
        "",
    ]
    for what, held, figures in result.invariants():
        lines.append(
            f"- {'ok' if held else 'FAILED'}: {what}" + (f" ({figures})" if figures else "")
        )
    lines += ["", f"Result: {'PASS' if result.passed else 'FAIL'}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--connections", type=int, default=64, help="client connections (64)")
    parser.add_argument("--workers", type=int, default=2, help="receiver workers (2)")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "bench" / "results" / f"{datetime.date.today():%Y-%m-%d}-faults.md",
        help="results file (.md); '-' for none",
    )
    parser.add_argument(
        "--server-log", type=Path, default=None, help="keep the server's output in this file"
    )
    args = parser.parse_args(argv)
    if args.duration < 3 or args.connections < 1 or args.workers < 1:
        parser.error("--duration must be at least 3 s; --connections and --workers at least 1")
    config = Config(duration=args.duration, connections=args.connections, workers=args.workers)
    command = "python -m bench.faults " + " ".join(argv if argv is not None else sys.argv[1:])
    if os.environ.get(STORE_TIMEOUT_ENV):
        command = f"{STORE_TIMEOUT_ENV}={os.environ[STORE_TIMEOUT_ENV]} {command}"
    result = run(config, command.strip(), args.server_log)
    text = report(result)
    print("\n" + text)
    if str(args.output) != "-":
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
        print(f"Written to {shown}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
