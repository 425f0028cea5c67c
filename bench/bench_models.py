"""Parse + dump cost of the models against plain json, for the full Purchase draft order of
platform.md §2.6 and for orders of 1000 and 2000 lines.

    python bench/bench_models.py [--rounds 21] [--seconds 0.1] [--clock wall|cpu]

A round repeats each operation for about ``--seconds`` and records its per-call time; times
are the median of ``--rounds`` rounds, ratios the median of the per-round ratios (operations
compared run back to back in each round, which keeps the ratios fair on a busy machine). The
2000/1000-line growth is the median of single 2000-line calls, each divided by the mean of the
1000-line calls just before and after it. Limits checked: full order <= 3x json, 2000 lines
<= 2.2x 1000 lines (linear). The garbage collector stays on, as in a server. The clock is
``time.perf_counter_ns``; on a shared, busy machine ``--clock cpu`` (``time.process_time_ns``,
this process's CPU time) is steadier, since time spent descheduled is not counted.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receiver.models import Order  # noqa: E402

FULL_ORDER = ROOT / "tests" / "fixtures" / "order_purchase_full.json"


def order_with_lines(template: dict[str, object], count: int) -> bytes:
    """The full order with ``count`` copies of its line, each with a distinct id."""
    order = copy.deepcopy(template)
    (line,) = order["lines"]  # type: ignore[misc]
    lines = []
    for number in range(count):
        copied = copy.deepcopy(line)
        copied["id"] = f"ALI-3156-8071-4437-{number:04d}"
        lines.append(copied)
    order["lines"] = lines
    return json.dumps(order).encode()


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.process_time_ns}
clock = CLOCKS["wall"]


def repeat_for(operation: Callable[[], object], seconds: float) -> int:
    """How many calls make a round of about ``seconds``."""
    start = time.perf_counter_ns()
    operation()
    once = max(time.perf_counter_ns() - start, 1)
    return max(int(seconds * 1e9 / once), 3)


def timed(operation: Callable[[], object], repeat: int) -> float:
    """Per-call nanoseconds over ``repeat`` calls."""
    start = clock()
    for _ in range(repeat):
        operation()
    return (clock() - start) / repeat


def compare(
    operations: dict[str, Callable[[], object]], rounds: int, seconds: float
) -> dict[str, list[float]]:
    """Per-call times of each operation, round by round. The operations of one round run back
    to back, so a ratio taken within a round is fair even when the machine's load drifts."""
    repeats = {name: repeat_for(operation, seconds) for name, operation in operations.items()}
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(rounds):
        gc.collect()
        for name, operation in operations.items():
            samples[name].append(timed(operation, repeats[name]))
    return samples


def line_growth(small: bytes, large: bytes, pairs: int) -> float:
    """Median over ``pairs`` of: one 2000-line call / the mean of the 1000-line calls just
    before and after it. Single calls this close together see the same machine load."""

    def once(data: bytes) -> float:
        start = clock()
        Order.from_json(data).to_json()
        return clock() - start

    ratios = []
    before = once(small)
    for _ in range(pairs):
        middle = once(large)
        after = once(small)
        ratios.append(middle / ((before + after) / 2))
        before = after
    return statistics.median(ratios)


def median_ratio(top: list[float], bottom: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--seconds", type=float, default=0.1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    print(f"clock: {clock.__name__}, {args.rounds} rounds of ~{args.seconds}s per operation")

    template = json.loads(FULL_ORDER.read_bytes())
    cases = {
        "full order (2.6)": json.dumps(template).encode(),
        "1000 lines": order_with_lines(template, 1000),
        "2000 lines": order_with_lines(template, 2000),
    }
    for data in cases.values():  # the comparison is only fair if the round trip is exact
        assert json.loads(Order.from_json(data).to_json()) == json.loads(data)

    header = f"{'case':<17} {'bytes':>7} {'json us':>9} {'model us':>9} {'parse us':>9}"
    header += f" {'dump us':>9} {'model/json':>10}"
    print(header)
    print("-" * len(header))
    ratios: dict[str, float] = {}
    for name, data in cases.items():
        parsed = Order.from_json(data)
        samples = compare(
            {
                "json": lambda d=data: json.dumps(json.loads(d)),
                "model": lambda d=data: Order.from_json(d).to_json(),
                "parse": lambda d=data: Order.from_json(d),
                "dump": parsed.to_json,
            },
            args.rounds,
            args.seconds,
        )
        del parsed  # a large live object graph slows every later GC pass
        ratios[name] = median_ratio(samples["model"], samples["json"])
        us = {key: statistics.median(values) / 1e3 for key, values in samples.items()}
        print(
            f"{name:<17} {len(data):>7} {us['json']:>9.1f} {us['model']:>9.1f}"
            f" {us['parse']:>9.1f} {us['dump']:>9.1f} {ratios[name]:>9.2f}x"
        )

    gc.collect()
    growth = line_growth(cases["1000 lines"], cases["2000 lines"], pairs=max(args.rounds, 9) * 3)
    print()
    print(f"model/json, full order:  {ratios['full order (2.6)']:.2f}x  (limit 3.00x)")
    print(f"2000 lines / 1000 lines: {growth:.2f}x  (limit 2.20x)")
    ok = ratios["full order (2.6)"] <= 3.0 and growth <= 2.2
    print("OK" if ok else "OVER LIMIT")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
