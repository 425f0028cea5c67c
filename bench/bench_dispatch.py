"""One whole receiver call through raw ASGI, without a server, against the floors in the same
process; and the parts of the call, to see where the time goes.

    python bench/bench_dispatch.py [--rounds 15] [--seconds 0.2] [--clock cpu|wall] [--only a,b]

The apps are the benchmark's own peers (``bench/peers/``): ``receiver`` is the served one (its
defaults: verification, model, answer check, statistics, the INFO call line written by the
default handler, here to /dev/null),
``floor-asgi`` a raw ASGI callable doing PyJWT verify + ``json.loads``/``json.dumps``,
``floor-starlette`` the same as one Starlette route. Each call POSTs the full Purchase draft
Order of platform.md §2.6 with a valid token; the minimal handler clears errors and returns the
order.

A round runs each operation for about ``--seconds`` and records its per-call time; we print the
median over ``--rounds`` rounds, and ratios as the median of per-round ratios (operations of one
round run back to back, so a ratio is fair even when the machine's load drifts). The default
clock is this process's CPU time (``time.process_time_ns``): steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peers import (  # noqa: E402
    floor_asgi,
    floor_starlette,
    receiver_app,
    receiver_observed_app,
)
from bench.peers._common import SECRET, WEBHOOK_ID  # noqa: E402
from bench.run import FULL_ORDER, asgi_call  # noqa: E402
from receiver import logs, tokens  # noqa: E402
from receiver.models import Order  # noqa: E402

CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument("--only", default="", help="comma-separated operation names")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    # The receivers' default logging, as served, its call lines to nowhere instead of stderr.
    logs.install_default_logging("text")
    default_handler = logs.direct_writer(logging.getLogger("receiver.calls"))
    assert default_handler is not None
    default_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the whole run

    body = FULL_ORDER.read_bytes()
    token = tokens.sign(SECRET, tokens.platform_claims(WEBHOOK_ID, ttl=3600))
    secret = SECRET.encode()
    loop = asyncio.new_event_loop()

    def run(app: Any) -> Callable[[int], None]:
        many = asgi_call(app, body, token)
        return lambda n: loop.run_until_complete(many(n))

    def repeated(fn: Callable[[], object]) -> Callable[[int], None]:
        def many(n: int) -> None:
            for _ in range(n):
                fn()

        return many

    parsed = Order.from_json(body)
    operations: dict[str, Callable[[int], None]] = {
        "receiver": run(receiver_app.app),
        "receiver-metrics": run(receiver_observed_app.metrics_app()),
        "receiver-traced": run(receiver_observed_app.traced_app()),
        "receiver-traced-10%": run(receiver_observed_app.traced_app(0.1)),
        "receiver-traced-0%": run(receiver_observed_app.traced_app(0.0)),
        "floor-asgi": run(floor_asgi.app),
        "floor-starlette": run(floor_starlette.app),
        "verify (ours)": repeated(lambda: tokens.verify(token, [secret])),
        "Order.from_json": repeated(lambda: Order.from_json(body)),
        "order.clear_errors": repeated(parsed.clear_errors),
        "order.to_json": repeated(parsed.to_json),
    }
    if args.only:
        wanted = set(args.only.split(","))
        operations = {name: op for name, op in operations.items() if name in wanted}

    def per_call(many: Callable[[int], None], n: int) -> float:
        start = clock()
        many(n)
        return (clock() - start) / n

    counts = {}
    for name, many in operations.items():
        many(50)  # warm up (imports, caches, the receiver's startup)
        once = per_call(many, 50)
        counts[name] = max(int(args.seconds * 1e9 / max(once, 1)), 10)
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(args.rounds):
        gc.collect()
        for name, many in operations.items():
            samples[name].append(per_call(many, counts[name]))
    loop.close()

    print(f"clock: {clock.__name__}, {args.rounds} rounds of ~{args.seconds}s per operation")
    base = samples.get("floor-starlette")
    print(f"{'operation':<22} {'us/call':>9} {'vs floor-starlette':>19}")
    for name, values in samples.items():
        ratio = (
            statistics.median(b / v for v, b in zip(values, base, strict=True))
            if base is not None and (name.startswith("receiver") or name.startswith("floor"))
            else None
        )
        speed = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{name:<22} {statistics.median(values) / 1e3:>9.1f} {speed:>19}")
    print("(vs floor-starlette: its time per call / this one's, i.e. a throughput ratio)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
