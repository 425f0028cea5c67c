"""What the call line costs a call, in process: one receiver, its default logging to a file,
16 calls ending in each turn of the event loop (as under load), the line off, in text and in
JSON in interleaved rounds; CPU time per call, medians.

    python bench/bench_call_line.py [--rounds 15] [--turns 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peers._common import SECRET, SECRETS, WEBHOOK_ID  # noqa: E402
from bench.run import FULL_ORDER, asgi_call  # noqa: E402
from receiver import Order, Receiver, logs, tokens  # noqa: E402

CALLS_PER_TURN = 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "calls.log").open("w") as log:
        logs.install_default_logging("text")
        handler = logs.direct_writer(logging.getLogger("receiver.calls"))
        assert handler is not None, "logging is configured elsewhere: nothing to measure"
        handler.setStream(log)
        app = Receiver(secrets=SECRETS)

        @app.validate_purchase_order_draft
        async def check(order: Order) -> Order:
            order.clear_errors()
            return order

        token = tokens.sign(SECRET, tokens.platform_claims(WEBHOOK_ID, ttl=3600))
        one = asgi_call(app, FULL_ORDER.read_bytes(), token)

        async def turn() -> None:
            await asyncio.gather(*(one(1) for _ in range(CALLS_PER_TURN)))

        loop = asyncio.new_event_loop()
        loop.run_until_complete(turn())
        calls = logging.getLogger("receiver.calls")
        per_call: dict[str, list[float]] = {"off": [], "text": [], "json": []}
        for _ in range(args.rounds):
            for mode, samples in per_call.items():
                if mode == "off":
                    calls.setLevel(logging.WARNING)
                else:
                    calls.setLevel(logging.NOTSET)
                    handler.use(mode)  # type: ignore[arg-type]
                started = time.process_time()
                for _ in range(args.turns):
                    loop.run_until_complete(turn())
                samples.append((time.process_time() - started) / args.turns / CALLS_PER_TURN)
        loop.close()
        assert "receiver.calls" in (Path(tmp) / "calls.log").read_text()
    base = statistics.median(per_call["off"])
    print(f"{CALLS_PER_TURN} calls a turn, {args.rounds} rounds; CPU time per call, medians")
    for mode, samples in per_call.items():
        value = statistics.median(samples)
        print(f"  line {mode:4}  {value * 1e6:6.1f} us  (+{(value - base) * 1e6:.1f} us)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
