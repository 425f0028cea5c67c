"""Forged webhook ids against a served receiver: are new real webhooks still answered?

    python -m bench.forged_ids [--seconds 10] [--budget 5] [--real-every 0.5]

A receiver (uvicorn, one worker) looks secrets up with a function behind CachedSecrets, limited to
``--budget`` lookups a second. A flood sends forged ids (random ids, random secrets) at 100 times
that budget, while every ``--real-every`` seconds a webhook the receiver has never seen (a new
webhook, or any webhook after a restart) makes its first call, signed with its product's secret.

Two servers, measured in the same run: ``product secret`` (the webhooks share their product's
secret, which the function vouches for, as ProductSecrets does for every product secret: a token
signed with it is looked up on a budget of its own) and ``a secret each, none vouched`` (each
webhook has a secret of its own and the function vouches for none: a first call cannot be told
from a forged one before its lookup, and shares the forged ids' budget; the limit of the
defence, said in the README). The table gives, for each, the real first calls answered 200 and
their latency, the flood's rate, and the flood's answers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets as random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import FULL_ORDER, free_port, started, taskset  # noqa: E402
from receiver import tokens  # noqa: E402

PRODUCT_SECRET = "bench-product-secret-bench-product-secret-01"

APP = """
import os
from receiver import Order, Receiver
from receiver.secrets import CachedSecrets, CallableSecrets

SECRET = os.environ["BENCH_PRODUCT_SECRET"]

PER_WEBHOOK = os.environ["BENCH_VOUCHED"] == "0"

def lookup(webhook_id):
    # Every WBH-1111-* webhook is ours: with the product's secret, or (PER_WEBHOOK) one of its own.
    if not webhook_id.startswith("WBH-1111-"):
        return None
    return f"{SECRET}-{webhook_id}" if PER_WEBHOOK else SECRET

vouched = [] if PER_WEBHOOK else [SECRET]
source = CachedSecrets(
    CallableSecrets(lookup, vouched=vouched),
    max_lookups_per_second=float(os.environ["BENCH_BUDGET"]),
)
app = Receiver(secrets=source, log_format="off")

@app.validate_purchase_order_draft
def check(order: Order) -> Order:
    return order
"""


def token(secret: str, webhook_id: str) -> str:
    return tokens.sign(secret, tokens.platform_claims(webhook_id))


async def run_flood(
    url: str, seconds: float, budget: float, real_every: float, *, per_webhook: bool
) -> dict[str, float]:
    body = FULL_ORDER.read_bytes()
    headers = {"Content-Type": "application/json"}
    rate = 100 * budget
    answers: dict[int, int] = {}
    real: list[tuple[int, float]] = []
    sent = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def forged() -> None:
            webhook_id = f"WBH-{random.randbelow(10**8):08d}"
            auth = {"Authorization": f"Bearer {token(random.token_urlsafe(32), webhook_id)}"}
            answer = await client.post(url, content=body, headers=headers | auth)
            answers[answer.status_code] = answers.get(answer.status_code, 0) + 1

        async def first_call(n: int) -> None:
            webhook_id = f"WBH-1111-{n:04d}"
            secret = f"{PRODUCT_SECRET}-{webhook_id}" if per_webhook else PRODUCT_SECRET
            auth = {"Authorization": f"Bearer {token(secret, webhook_id)}"}
            started_at = time.perf_counter()
            answer = await client.post(url, content=body, headers=headers | auth)
            real.append((answer.status_code, time.perf_counter() - started_at))

        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        next_real = start
        n = 0
        while (now := time.perf_counter()) - start < seconds:
            due = int((now - start) * rate) - sent
            for _ in range(min(due, 64)):
                task = asyncio.create_task(forged())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            if now >= next_real:
                task = asyncio.create_task(first_call(n))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                n += 1
                next_real += real_every
            await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - start
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted(latency for status, latency in real if status == 200)
    return {
        "real": len(real),
        "real_ok": sum(1 for status, _ in real if status == 200),
        "real_p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "real_max_ms": 1000 * max(latencies) if latencies else float("nan"),
        "forged_rate": sent / elapsed,
        "forged_401": answers.get(401, 0),
        "forged_other": sum(count for status, count in answers.items() if status != 401),
    }


def measure(app_dir: Path, args: argparse.Namespace) -> list[tuple[str, dict[str, float]]]:
    rows = []
    for name, vouched in (("product secret", "1"), ("a secret each, none vouched", "0")):
        port = free_port()
        env = dict(
            os.environ,
            PYTHONPATH=f"{app_dir}{os.pathsep}{ROOT}",
            BENCH_PRODUCT_SECRET=PRODUCT_SECRET,
            BENCH_VOUCHED=vouched,
            BENCH_BUDGET=str(args.budget),
        )
        command = [
            *taskset("0"),
            sys.executable,
            "-m",
            "uvicorn",
            "forged_app:app",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with started(command, env, port, name):
            url = f"http://127.0.0.1:{port}/"
            result = asyncio.run(
                run_flood(
                    url, args.seconds, args.budget, args.real_every, per_webhook=vouched == "0"
                )
            )
        rows.append((name, result))
    return rows


def report(rows: list[tuple[str, dict[str, float]]], args: argparse.Namespace) -> None:
    print(
        f"forged ids at 100 x {args.budget:g} lookups/s for {args.seconds:g} s; a new real"
        f" webhook's first call every {args.real_every:g} s\n"
    )
    print("| server | real first calls answered 200 | p50 ms | max ms | forged/s | forged 401 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(
            f"| {name} | {r['real_ok']:.0f} of {r['real']:.0f} | {r['real_p50_ms']:.1f} |"
            f" {r['real_max_ms']:.1f} | {r['forged_rate']:.0f} | {r['forged_401']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--budget", type=float, default=2.0)
    parser.add_argument("--real-every", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-forged-") as temp:
        app_dir = Path(temp)
        (app_dir / "forged_app.py").write_text(APP)
        rows = measure(app_dir, args)
    report(rows, args)


if __name__ == "__main__":
    main()
