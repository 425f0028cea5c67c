"""The benchmark suite (issue "Performance"): HTTP load against the receiver and its peers, size
scaling, a bad-token stream, memory, and in-process microbenchmarks.

Every server runs under uvicorn (uvloop + httptools, one worker, no access log) pinned to CPU 0;
wrk is pinned to CPU 1. Servers are measured in interleaved rounds (A B C A B C ...) so drift on a
shared machine hits all of them alike; we report medians and ratios against floor-starlette.

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

SERVERS = {
    "receiver": "bench.peers.receiver_app:app",
    "limit-echo": "bench.peers.limit_echo:app",
    "floor-asgi": "bench.peers.floor_asgi:app",
    "floor-starlette": "bench.peers.floor_starlette:app",
    "fastapi": "bench.peers.fastapi_app:app",
    "sdk-v5-style": "bench.peers.sdk_v5_style:app",
}
BASELINE = "floor-starlette"


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    requests: int


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
    port = free_port()
    env = dict(
        os.environ,
        BENCH_SECRET=SECRET,
        BENCH_WEBHOOK_ID=WEBHOOK_ID,
        BENCH_LOG=str(log_dir / f"{name}.log"),
        PYTHONPATH=str(ROOT),
    )
    command = [
        *taskset("0"),
        sys.executable,
        "-m",
        "uvicorn",
        SERVERS[name],
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with started(command, env, port, name) as pid:
        yield f"http://127.0.0.1:{port}/", pid


@contextlib.contextmanager
def started(command: list[str], env: dict[str, str], port: int, name: str) -> Iterator[int]:
    """Run ``command`` until it accepts connections on ``port``; yield its pid; stop it."""
    process = subprocess.Popen(command, env=env, cwd=ROOT)
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
    if name == "limit-echo":
        return  # verifies nothing, by definition
    bad = httpx.post(url, content=body, headers=headers | auth(bad_token()), timeout=10)
    if bad.status_code != 401:
        raise RuntimeError(f"{name}: a bad token got {bad.status_code}, expected 401")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def bad_token() -> str:
    return fresh_token("not-the-secret-not-the-secret-not-the-secret")


LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str,
    body_file: Path,
    *,
    seconds: float,
    connections: int = 32,
    bad_every: int = 0,
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
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
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
            with server(name, log_dir) as (url, _pid):
                check(name, url, body)
                wrk(url, body_file, seconds=1, **wrk_options)  # warm-up
                sample = wrk(url, body_file, seconds=seconds, **wrk_options)
            results[name].samples.append(sample)
            print(
                f"  round {round_number + 1} {name:16} {sample.rps:9.0f} req/s"
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


def report(
    main: dict[str, Series],
    sizes: dict[str, Series],
    bad: dict[str, list[BadTokenRound]],
    rss: dict[int, int],
    micros: dict[str, float],
    rounds: int,
    seconds: float,
) -> str:
    base = main[BASELINE].median("rps") if BASELINE in main else 0.0
    lines = [
        f"# Benchmark {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform_line()}. Server on CPU 0, wrk on CPU 1;"
        f" {rounds} interleaved rounds of {seconds:g} s, 32 connections; medians.",
        "",
        "## Full Purchase draft Order (platform.md §2.6), valid tokens",
        "",
        "| server | req/s | p50 ms | p99 ms | vs floor-starlette |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, series in main.items():
        lines.append(
            f"| {name} | {series.median('rps'):.0f} | {series.median('p50_ms'):.2f} |"
            f" {series.median('p99_ms'):.2f} | {ratio(series.median('rps'), base)} |"
        )
    if "receiver" in main:
        receiver = main["receiver"].median("rps")
        lines += ["", "Targets (ratios of medians):", ""]
        for label, other, target in [
            ("receiver / floor-starlette", BASELINE, 1.25),
            ("receiver / limit-echo", "limit-echo", 0.6),
            ("receiver / fastapi", "fastapi", 2.5),
            ("receiver / sdk-v5-style", "sdk-v5-style", 7.0),
        ]:
            if other in main:
                value = receiver / main[other].median("rps")
                mark = "met" if value >= target else "NOT met"
                lines.append(f"- {label}: {value:.2f} (target >= {target}) {mark}")
        if BASELINE in main:
            p99 = main["receiver"].median("p99_ms")
            floor_p99 = main[BASELINE].median("p99_ms")
            mark = "met" if p99 <= floor_p99 else "NOT met"
            lines.append(
                f"- receiver p99 {p99:.2f} ms vs floor-starlette {floor_p99:.2f} ms {mark}"
            )
    if sizes:
        lines += [
            "",
            "## Order size (receiver)",
            "",
            "| lines | req/s | ms per call (1/rps x 32) |",
            "|---:|---:|---:|",
        ]
        per_call = {}
        for label, series in sizes.items():
            rps = series.median("rps")
            per_call[label] = 1000 / rps if rps else 0.0
            lines.append(f"| {label} | {rps:.0f} | {per_call[label] * 32:.2f} |")
        if "1000" in per_call and "2000" in per_call and per_call["1000"]:
            factor = per_call["2000"] / per_call["1000"]
            mark = "met" if factor <= 2.2 else "NOT met"
            lines.append(
                f"\n2000 lines cost {factor:.2f}x 1000 lines per call (target <= 2.2) {mark}"
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
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bodies = {}
        for label, count in (("full", None), ("1000", 1000), ("2000", 2000)):
            order = json.loads(FULL_ORDER.read_text()) if count is None else order_with_lines(count)
            bodies[label] = work / f"{label}.json"
            bodies[label].write_text(json.dumps(order))
        print("Full order, valid tokens:", flush=True)
        main_results = interleaved(names, bodies["full"], rounds, seconds, work)
        sizes: dict[str, Series] = {}
        if "sizes" not in skip and "receiver" in names:
            print("Order size:", flush=True)
            for label in ("1000", "2000"):
                sizes[label] = Series()
            for _ in range(rounds):
                for label in ("1000", "2000"):
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
    text = report(main_results, sizes, bad, rss, micros, rounds, seconds)
    print("\n" + text)
    output = args.output or ROOT / "bench" / "results" / f"{datetime.date.today():%Y-%m-%d}.md"
    if not args.quick or args.output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"Written to {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
