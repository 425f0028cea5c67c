"""The benchmark suite (issue "Performance"): HTTP load against the receiver and its peers, size
scaling, a bad-token stream, memory, and in-process microbenchmarks.

The receiver runs under ``receiver serve`` exactly as in production (uvloop, httptools with the
bounded request head, its default logging: the call line on stderr, here a file); the peers under
uvicorn with the same loop and parser (one worker, no access log). The raw echo runs under both
(``limit-echo``, ``limit-echo-serve``). Servers are pinned to CPU 0, wrk to CPU 1, and measured in
interleaved rounds (A B C A B C ...) so drift on a shared machine hits all of them alike; we report
medians, the server's CPU time per call (from /proc, over the measured run), and ratios.

    python -m bench.run                 # everything (about 12 minutes)
    python -m bench.run --quick         # 1 round of 3 s each, to check the setup
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from receiver import tokens

ROOT = Path(__file__).resolve().parent.parent
FULL_ORDER = ROOT / "tests" / "fixtures" / "order_purchase_full.json"
SECRET = "bench-secret-bench-secret-bench-secret-01"
WEBHOOK_ID = "WBH-5433-8787"


@dataclass(frozen=True)
class ServerSpec:
    app: str
    serve: bool = False  # under `receiver serve` (else plain uvicorn, same loop and parser)
    env: tuple[tuple[str, str], ...] = ()
    redis: bool = False  # needs the bench's Redis (BENCH_STORE)


RECEIVER_APP = "bench.peers.receiver_app:app"
SERVERS = {
    "limit-echo": ServerSpec("bench.peers.limit_echo:app"),
    "limit-echo-serve": ServerSpec("bench.peers.limit_echo:app", serve=True),
    "receiver": ServerSpec(RECEIVER_APP, serve=True),
    "receiver-line-off": ServerSpec(
        RECEIVER_APP, serve=True, env=(("RECEIVER_LOG_FORMAT", "off"),)
    ),
    "receiver-json": ServerSpec(RECEIVER_APP, serve=True, env=(("RECEIVER_LOG_FORMAT", "json"),)),
    "receiver-metrics": ServerSpec(RECEIVER_APP, serve=True, env=(("RECEIVER_METRICS", "1"),)),
    "receiver-redis": ServerSpec(
        "bench.peers.receiver_shared_app:app",
        serve=True,
        env=(("BENCH_REPLAY_GUARD", "1"),),
        redis=True,
    ),
    "floor-asgi": ServerSpec("bench.peers.floor_asgi:app"),
    "floor-starlette": ServerSpec("bench.peers.floor_starlette:app"),
    "fastapi": ServerSpec("bench.peers.fastapi_app:app"),
    "sdk-v5-style": ServerSpec("bench.peers.sdk_v5_style:app"),
}
BASELINE = "floor-starlette"
ECHO = "limit-echo"
# The Redis server of this run (started by main() when a server needs it).
REDIS_URL: str | None = None


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int
    cpu_us: float = 0.0  # the server's CPU time per call (user + system), when measured


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(s, name) for s in self.samples)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fresh_token(secret: str = SECRET) -> str:
    # Signed just before each run: the receiver refuses tokens older than 330 s by default.
    return tokens.sign(secret, tokens.platform_claims(WEBHOOK_ID, ttl=300))


def order_with_lines(count: int) -> dict[str, Any]:
    order: dict[str, Any] = json.loads(FULL_ORDER.read_text())
    template = order["lines"][0]
    lines = []
    for index in range(count):
        line = copy.deepcopy(template)
        line["id"] = f"ALI-3156-8071-4437-{index:04d}"
        lines.append(line)
    order["lines"] = lines
    return order


@contextlib.contextmanager
def server(name: str, log_dir: Path) -> Iterator[tuple[str, int]]:
    """Start ``name`` pinned to CPU 0; yield (url, pid); stop it."""
    spec = SERVERS[name]
    port = free_port()
    env = dict(
        os.environ,
        BENCH_SECRET=SECRET,
        BENCH_WEBHOOK_ID=WEBHOOK_ID,
        PYTHONPATH=str(ROOT),
    )
    env = {k: v for k, v in env.items() if not k.startswith("RECEIVER_")}
    env.update(spec.env)
    if spec.redis:
        if REDIS_URL is None:
            raise RuntimeError(f"{name} needs the bench's Redis server")
        env["BENCH_STORE"] = f"{REDIS_URL}?prefix=bench:{port}:"
    address = ["--host", "127.0.0.1", "--port", str(port)]
    if spec.serve:  # what production runs, its defaults included (log level info: a line a call)
        command = [*taskset("0"), sys.executable, "-m", "receiver.cli", "serve", spec.app, *address]
    else:
        command = [*taskset("0"), sys.executable, "-m", "uvicorn", spec.app, *address,
                   "--log-level", "warning", "--loop", "uvloop", "--http", "httptools",
                   "--no-access-log"]  # fmt: skip
    # stderr is where the call line goes.
    with (
        (log_dir / f"{name}.log").open("ab") as log,
        started(command, env, port, name, stderr=log) as pid,
    ):
        yield f"http://127.0.0.1:{port}/", pid


@contextlib.contextmanager
def started(
    command: list[str], env: dict[str, str], port: int, name: str, *, stderr: Any = None
) -> Iterator[int]:
    """Run ``command`` until it accepts connections on ``port``; yield its pid; stop it."""
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=stderr)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.05)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def taskset(cpus: str) -> list[str]:
    return ["taskset", "-c", cpus] if shutil.which("taskset") and os.cpu_count() != 1 else []


def check(name: str, url: str, body: bytes) -> None:
    """A peer is measured only if it answers 200 with the order (error cleared) and 401 to a bad
    token."""
    headers = {"Content-Type": "application/json"}
    good = httpx.post(url, content=body, headers=headers | auth(fresh_token()), timeout=10)
    if good.status_code != 200:
        raise RuntimeError(f"{name}: expected 200, got {good.status_code}: {good.text[:200]}")
    answer = good.json()
    if answer.get("id") != json.loads(body)["id"] or answer.get("error") is not None:
        raise RuntimeError(f"{name}: wrong answer {good.text[:200]}")
    if name.startswith("limit-echo"):
        return  # verifies nothing, by definition
    bad = httpx.post(url, content=body, headers=headers | auth(bad_token()), timeout=10)
    if bad.status_code != 401:
        raise RuntimeError(f"{name}: a bad token got {bad.status_code}, expected 401")


def check_call_lines(name: str, log_dir: Path) -> None:
    """A receiver measured with its call line on did write it (a log level that drops the line
    would measure something users do not run)."""
    spec = SERVERS[name]
    if not spec.serve or (spec.app != RECEIVER_APP and not spec.redis):
        return
    text = (log_dir / f"{name}.log").read_text(errors="replace")
    wanted = dict(spec.env).get("RECEIVER_LOG_FORMAT", "text") != "off"
    if ("receiver.calls" in text) != wanted:
        raise RuntimeError(f"{name}: call lines {'missing' if wanted else 'written'} in its log")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bad_token() -> str:
    return fresh_token("not-the-secret-not-the-secret-not-the-secret")


LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str,
    body_file: Path,
    *,
    seconds: float,
    connections: int = 32,
    bad_every: int = 0,
    pid: int | None = None,
) -> Sample:
    env = dict(
        os.environ,
        WRK_BODY_FILE=str(body_file),
        WRK_TOKEN=fresh_token(),
        WRK_BAD_TOKEN=bad_token(),
        WRK_BAD_EVERY=str(bad_every),
    )
    command = [
        *taskset("1"),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "wrk" / "post.lua"),
        url,
    ]
    cpu_before = cpu_seconds(pid) if pid is not None else 0.0
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before if pid is not None else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    latency = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(output)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Sample(
        rps,
        latency.get("50", 0.0),
        latency.get("99", 0.0),
        int(non_2xx.group(1)) if non_2xx else 0,
        requests,
        cpu / requests * 1e6 if requests else 0.0,
    )


def interleaved(
    names: list[str],
    body_file: Path,
    rounds: int,
    seconds: float,
    log_dir: Path,
    **wrk_options: Any,
) -> dict[str, Series]:
    results = {name: Series() for name in names}
    body = body_file.read_bytes()
    for round_number in range(rounds):
        for name in names:
            with server(name, log_dir) as (url, pid):
                check(name, url, body)
                wrk(url, body_file, seconds=1, **wrk_options)  # warm-up
                sample = wrk(url, body_file, seconds=seconds, pid=pid, **wrk_options)
            check_call_lines(name, log_dir)
            results[name].samples.append(sample)
            print(
                f"  round {round_number + 1} {name:18} {sample.rps:9.0f} req/s"
                f"  {sample.cpu_us:6.1f} us CPU/call"
                f"  p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:6.2f} ms",
                flush=True,
            )
    return results


@dataclass
class BadTokenRound:
    """One server start: a valid-only run, then a run with every fifth token bad."""

    valid: Sample
    mixed: Sample

    @property
    def bad_share(self) -> float:
        return self.mixed.non_2xx / self.mixed.requests if self.mixed.requests else 0.0

    @property
    def drop(self) -> float:
        """How much fewer valid calls per second were answered in the mix."""
        valid_in_mix = self.mixed.rps * (1 - self.bad_share)
        return 1 - valid_in_mix / self.valid.rps if self.valid.rps else 0.0


def bad_token_rounds(
    names: list[str], body_file: Path, rounds: int, seconds: float, log_dir: Path
) -> dict[str, list[BadTokenRound]]:
    """The valid-only and mixed runs back to back on one server start, rounds interleaved: the
    drop is a ratio within a round, so drift on a shared machine cancels out."""
    results: dict[str, list[BadTokenRound]] = {name: [] for name in names}
    body = body_file.read_bytes()
    for round_number in range(rounds):
        for name in names:
            with server(name, log_dir) as (url, _pid):
                check(name, url, body)
                wrk(url, body_file, seconds=1)  # warm-up
                valid = wrk(url, body_file, seconds=seconds)
                mixed = wrk(url, body_file, seconds=seconds, bad_every=5)
            results[name].append(BadTokenRound(valid, mixed))
            print(
                f"  round {round_number + 1} {name:16} valid-only {valid.rps:6.0f} req/s,"
                f" mixed {mixed.rps:6.0f} req/s ({mixed.non_2xx} of {mixed.requests} refused)",
                flush=True,
            )
    return results


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def memory(body_file: Path, log_dir: Path, calls: tuple[int, ...]) -> dict[int, int]:
    """RSS of the receiver after at least each cumulative number of calls in ``calls``."""
    seen: dict[int, int] = {}
    with server("receiver", log_dir) as (url, pid):
        done = 0
        for target in calls:
            while done < target:  # bounded runs; wrk counts what it sent and got back
                done += wrk(url, body_file, seconds=5).requests
            seen[target] = rss_kib(pid)
            print(f"  RSS after {done:>7} calls: {seen[target] / 1024:.1f} MiB", flush=True)
    return seen


def asgi_call(app: Any, body: bytes, token: str) -> Callable[[int], Any]:
    """A coroutine function making ``n`` calls of ``app`` in a row (one event loop run)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"user-agent", b"wrk"),
            (b"content-type", b"application/json"),
            (b"authorization", b"Bearer " + token.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    request = {"type": "http.request", "body": body, "more_body": False}
    answers: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answers.append(message)

    async def many(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)
        if answers[-1]["status"] != 200:
            raise RuntimeError(f"{app!r} answered {answers[-1]['status']}")
        answers.clear()

    return many


def micro() -> dict[str, float]:
    """In-process costs in microseconds per operation (median of 5 rounds)."""
    import asyncio

    import jwt

    from receiver import Order, Receiver

    token = fresh_token()
    body = FULL_ORDER.read_bytes()
    secret = SECRET.encode()

    def timed(fn: Any, number: int) -> float:
        rounds = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(number):
                fn()
            rounds.append((time.perf_counter() - started) / number * 1e6)
        return statistics.median(rounds)

    def pyjwt_two_step() -> None:
        claims = jwt.decode(token, options={"verify_signature": False})
        jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_aud": False})
        del claims

    app = Receiver(secrets={WEBHOOK_ID: SECRET})

    @app.validate_purchase_order_draft
    async def check(order: Order) -> Order:  # async, as in the receiver peer: no thread hop
        return order.clear_errors()

    many = asgi_call(app, body, token)
    loop = asyncio.new_event_loop()
    logging_off()
    results = {
        "verify (ours)": timed(lambda: tokens.verify(token, [secret]), 20000),
        "verify (PyJWT two-step)": timed(pyjwt_two_step, 5000),
        "parse+dump Order (model)": timed(lambda: Order.from_json(body).to_json(), 5000),
        "parse+dump (json stdlib)": timed(lambda: json.dumps(json.loads(body)).encode(), 5000),
        "whole dispatch, no server": timed(lambda: loop.run_until_complete(many(1)), 3000),
    }
    loop.close()
    return results


def logging_off() -> None:
    import logging

    logging.getLogger("receiver").setLevel(logging.WARNING)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def targets(main: dict[str, Series]) -> list[str]:
    """The goals of the issues "Performance" and "Production operations" that this run can
    check, each with its figure and whether it is met."""
    if "receiver" not in main:
        return []
    rps = {name: series.median("rps") for name, series in main.items()}
    cpu = {name: series.median("cpu_us") for name, series in main.items()}
    out = ["", "Targets (ratios of medians):", ""]

    def at_least(label: str, value: float, target: float, unit: str = "") -> None:
        mark = "met" if value >= target else "NOT met"
        out.append(f"- {label}: {value:.2f}{unit} (target >= {target}{unit}) {mark}")

    def at_most(label: str, value: float, target: float, unit: str = "") -> None:
        mark = "met" if value <= target else "NOT met"
        out.append(f"- {label}: {value:.1f}{unit} (target <= {target}{unit}) {mark}")

    for name, other, target in [
        ("receiver", ECHO, 0.25),
        ("receiver", BASELINE, 1.4),
        ("receiver-metrics", BASELINE, 1.4),
        ("receiver-redis", "receiver", 0.9),
        ("receiver", "fastapi", 2.5),
        ("receiver", "sdk-v5-style", 7.0),
    ]:
        if name in rps and other in rps and rps[other]:
            at_least(f"{name} / {other} calls/s", rps[name] / rps[other], target)
    for name in ("receiver", "receiver-json"):
        if name in cpu and "receiver-line-off" in cpu:
            line = "text" if name == "receiver" else "json"
            at_most(
                f"the call line ({line}), server CPU per call over receiver-line-off",
                cpu[name] - cpu["receiver-line-off"],
                10,
                " us",
            )
    if BASELINE in main:
        p99 = main["receiver"].median("p99_ms")
        floor_p99 = main[BASELINE].median("p99_ms")
        mark = "met" if p99 <= floor_p99 else "NOT met"
        out.append(f"- receiver p99 {p99:.2f} ms vs floor-starlette {floor_p99:.2f} ms {mark}")
    return out


def report(
    main: dict[str, Series],
    sizes: dict[str, Series],
    size_bytes: dict[str, int],
    bad: dict[str, list[BadTokenRound]],
    rss: dict[int, int],
    micros: dict[str, float],
    rounds: int,
    seconds: float,
) -> str:
    base = main[BASELINE].median("rps") if BASELINE in main else 0.0
    echo = main[ECHO].median("rps") if ECHO in main else 0.0
    lines = [
        f"# Benchmark {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform_line()}. Server on CPU 0, wrk on CPU 1;"
        f" {rounds} interleaved rounds of {seconds:g} s, 32 connections; medians. Server CPU"
        " per call: user + system time of the server process over the measured run.",
        "",
        "## Full Purchase draft Order (platform.md §2.6), valid tokens",
        "",
        "| server | calls/s | server CPU per call | p50 ms | p99 ms | vs limit-echo"
        " | vs floor-starlette |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, series in main.items():
        lines.append(
            f"| {name} | {series.median('rps'):.0f} | {series.median('cpu_us'):.0f} us |"
            f" {series.median('p50_ms'):.2f} | {series.median('p99_ms'):.2f} |"
            f" {ratio(series.median('rps'), echo)} | {ratio(series.median('rps'), base)} |"
        )
    lines += targets(main)
    if sizes:
        lines += [
            "",
            "## Order size (receiver)",
            "",
            "| body | calls/s | server CPU per call | CPU per KB |",
            "|---|---:|---:|---:|",
        ]
        per_call = {label: series.median("cpu_us") for label, series in sizes.items()}
        for label, series in sizes.items():
            kb = size_bytes.get(label, 0) / 1024
            lines.append(
                f"| {label} ({kb:.0f} KB) | {series.median('rps'):.0f} |"
                f" {per_call[label]:.0f} us | {per_call[label] / kb if kb else 0:.2f} us |"
            )
        if per_call.get("1000") and "2000" in per_call:
            factor = per_call["2000"] / per_call["1000"]
            mark = "met" if factor <= 2.1 else "NOT met"
            lines.append(
                f"\n2000 lines cost {factor:.2f}x 1000 lines per call (target <= 2.1) {mark}"
            )
        if "1MB" in per_call and "receiver" in main and size_bytes.get("full"):
            small = main["receiver"].median("cpu_us") / size_bytes["full"]
            large = per_call["1MB"] / size_bytes["1MB"]
            factor = large / small if small else 0.0
            mark = "met" if factor <= 2 else "NOT met"
            lines.append(
                f"\nA 1 MB body costs {factor:.2f}x the CPU per byte of the"
                f" {size_bytes['full'] / 1024:.0f} KB order (target <= 2) {mark}"
            )
    if bad:
        lines += [
            "",
            "## 20% bad tokens",
            "",
            "| server | valid-only req/s | mixed req/s | valid answered/s in mix"
            " | drop vs valid-only |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, paired in bad.items():
            valid_only = statistics.median(r.valid.rps for r in paired)
            mixed = statistics.median(r.mixed.rps for r in paired)
            share = statistics.median(r.bad_share for r in paired)
            drop = statistics.median(r.drop for r in paired)
            lines.append(
                f"| {name} | {valid_only:.0f} | {mixed:.0f} | {mixed * (1 - share):.0f} |"
                f" {drop:.1%} (share of bad: {share:.0%}) |"
            )
        lines.append(
            "\nEach round runs valid-only then mixed on one server start; the drop is the"
            " median of the rounds' drops."
        )
    if rss:
        lines += ["", "## Memory (receiver RSS)", ""]
        for calls, kib in rss.items():
            lines.append(f"- after {calls} calls: {kib / 1024:.1f} MiB")
        counts = sorted(rss)
        if len(counts) >= 2:
            growth = (rss[counts[-1]] - rss[counts[0]]) / 1024
            mark = "met" if growth <= 5 else "NOT met"
            lines.append(
                f"- growth {counts[0]} -> {counts[-1]} calls: {growth:+.1f} MiB"
                f" (target <= 5) {mark}"
            )
    if micros:
        lines += ["", "## In-process (us per operation)", "", "| operation | us |", "|---|---:|"]
        lines += [f"| {name} | {value:.1f} |" for name, value in micros.items()]
    lines += ["", "Reproduce: `bash scripts/bench` (installs wrk if missing)."]
    return "\n".join(lines) + "\n"


def platform_line() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, Python {sys.version.split()[0]}"


# Bodies: the full order (about 4 KB), 1000 and 2000 lines, and about 1 MB (4000 lines).
SIZES: dict[str, int | None] = {"full": None, "1000": 1000, "2000": 2000, "1MB": 4000}


@contextlib.contextmanager
def redis_if_needed(names: list[str], work: Path) -> Iterator[None]:
    """A Redis server for the run when a server needs one (its URL in REDIS_URL)."""
    global REDIS_URL
    if not any(SERVERS[name].redis for name in names):
        yield
        return
    from tests.redis_server import RedisServer

    redis = RedisServer(work / "redis")
    redis.start()
    if redis.process is not None and taskset("1"):  # beside wrk: the server's CPU stays its own
        subprocess.run(["taskset", "-pc", "1", str(redis.process.pid)], capture_output=True)
    REDIS_URL = redis.url
    try:
        yield
    finally:
        REDIS_URL = None
        redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s, small memory run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset")
    parser.add_argument("--skip", default="", help="comma-separated: sizes,bad,memory,micro")
    parser.add_argument("--output", type=Path, default=None, help="results file (.md)")
    args = parser.parse_args()
    rounds, seconds = (1, 3.0) if args.quick else (args.rounds, args.seconds)
    skip = set(filter(None, args.skip.split(",")))
    names = [n for n in args.servers.split(",") if n]
    unknown = set(names) - SERVERS.keys()
    if unknown:
        parser.error(f"unknown servers {sorted(unknown)}; choose from {sorted(SERVERS)}")
    if not shutil.which("wrk"):
        print(
            "wrk is not installed: `apt-get install -y wrk` (scripts/bench does it).",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp, redis_if_needed(names, Path(tmp)):
        work = Path(tmp)
        bodies = {}
        for label, count in SIZES.items():
            order = json.loads(FULL_ORDER.read_text()) if count is None else order_with_lines(count)
            bodies[label] = work / f"{label}.json"
            bodies[label].write_text(json.dumps(order))
        sizes_of = {label: body.stat().st_size for label, body in bodies.items()}
        print("Full order, valid tokens:", flush=True)
        main_results = interleaved(names, bodies["full"], rounds, seconds, work)
        sizes: dict[str, Series] = {}
        if "sizes" not in skip and "receiver" in names:
            print("Order size:", flush=True)
            labels = [label for label in SIZES if label != "full"]
            for label in labels:
                sizes[label] = Series()
            for _ in range(rounds):
                for label in labels:
                    sizes[label].samples += interleaved(
                        ["receiver"], bodies[label], 1, seconds, work
                    )["receiver"].samples
        bad: dict[str, list[BadTokenRound]] = {}
        if "bad" not in skip:
            print("20% bad tokens:", flush=True)
            subset = [n for n in ("receiver", BASELINE) if n in names]
            bad = bad_token_rounds(subset, bodies["full"], rounds, seconds, work)
        rss: dict[int, int] = {}
        if "memory" not in skip and "receiver" in names:
            print("Memory:", flush=True)
            rss = memory(bodies["full"], work, (2_000, 20_000) if args.quick else (10_000, 100_000))
        micros = {} if "micro" in skip else micro()
    text = report(main_results, sizes, sizes_of, bad, rss, micros, rounds, seconds)
    print("\n" + text)
    output = args.output or ROOT / "bench" / "results" / f"{datetime.date.today():%Y-%m-%d}.md"
    if not args.quick or args.output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"Written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
