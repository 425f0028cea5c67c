"""Sizing figures for the README's "Deploying" table: calls per second of one worker (one CPU)
and its memory, for the default in-memory store, a Redis store, and Redis with the replay guard.

    python -m bench.sizing [--rounds 3] [--seconds 5]

Each configuration runs under `receiver serve` (uvicorn, one worker) pinned to CPU 0, wrk on
CPU 1 (32 connections, the 4 KB order, bench/wrk/post.lua); rounds are interleaved A B C A B C
and the median is reported, with each row's ratio to the in-memory row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.run import (
    ROOT,
    SECRET,
    WEBHOOK_ID,
    check,
    free_port,
    order_with_lines,
    rss_kib,
    started,
    taskset,
    wrk,
)
from tests.redis_server import RedisServer

CONFIGS = {
    "memory": ("bench.peers.receiver_app:app", {}),
    "redis": ("bench.peers.receiver_shared_app:app", {"BENCH_REPLAY_GUARD": "0"}),
    "redis+replay": ("bench.peers.receiver_shared_app:app", {"BENCH_REPLAY_GUARD": "1"}),
}


@contextmanager
def serving(app: str, env: dict[str, str], log_dir: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    # receiver serve's defaults (log level info: the call line on, as in production).
    command = [*taskset("0"), sys.executable, "-m", "receiver.cli", "serve", app,
               "--port", str(port)]  # fmt: skip
    env = {**os.environ, **env, "BENCH_SECRET": SECRET, "BENCH_WEBHOOK_ID": WEBHOOK_ID,
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    with (
        (log_dir / "receiver.log").open("ab") as log,
        started(command, env, port, app, stderr=log) as pid,
    ):
        yield f"http://127.0.0.1:{port}/", pid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        body_file = work / "order.json"
        body_file.write_text(json.dumps(order_with_lines(0)))
        redis = RedisServer(work)
        redis.start()
        try:
            rps: dict[str, list[float]] = {name: [] for name in CONFIGS}
            p99: dict[str, list[float]] = {name: [] for name in CONFIGS}
            rss: dict[str, list[int]] = {name: [] for name in CONFIGS}
            for round_number in range(args.rounds):
                for name, (app, extra) in CONFIGS.items():
                    env = {**extra, "BENCH_STORE": f"{redis.url}?prefix=sizing:{round_number}:"}
                    with serving(app, env, work) as (url, pid):
                        check(name, url, body_file.read_bytes())
                        wrk(url, body_file, seconds=1)
                        sample = wrk(url, body_file, seconds=args.seconds)
                        rss[name].append(rss_kib(pid))
                    rps[name].append(sample.rps)
                    p99[name].append(sample.p99_ms)
                    print(
                        f"  round {round_number + 1} {name:13} {sample.rps:8.0f} calls/s"
                        f"  p99 {sample.p99_ms:6.2f} ms  RSS {rss[name][-1] / 1024:.1f} MiB",
                        flush=True,
                    )
        finally:
            redis.stop()
    base = statistics.median(rps["memory"])
    print("\n| store | calls/s per worker | ratio | p99 ms | RSS per worker MiB |")
    print("|---|---:|---:|---:|---:|")
    for name in CONFIGS:
        median = statistics.median(rps[name])
        print(
            f"| {name} | {median:.0f} | {median / base:.2f}x | {statistics.median(p99[name]):.2f}"
            f" | {statistics.median(rss[name]) / 1024:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
