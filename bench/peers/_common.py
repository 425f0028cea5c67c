"""What every peer shares: the benchmark secret and webhook id, read from the environment so the
runner can hand the same values to the load generator."""

import os

SECRET = os.environ.get("BENCH_SECRET", "bench-secret-bench-secret-bench-secret-01")
WEBHOOK_ID = os.environ.get("BENCH_WEBHOOK_ID", "WBH-5433-8787")
SECRETS = {WEBHOOK_ID: SECRET}
