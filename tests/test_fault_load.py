"""The "load with faults" run of ``bench/faults.py``, short: ``receiver serve`` with 2 workers on a
real Redis (AOF, appendfsync always), 16 client connections for about 8 s mixing valid calls, bad
tokens, oversized bodies, slow senders and readers, handlers that raise or hang and replays, while
the redis-server is killed with SIGKILL at 1/3 and started again at 1/2.

The run is the benchmark's own code (imported); every invariant it checks is asserted here. Every
process it starts is stopped in its ``finally`` blocks; a watchdog thread kills them by pid if the
run outlives HARD_TIMEOUT, which ends every wait of the run at once.
"""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from bench import faults
from bench.fault_app import DEADLINE

CONFIG = faults.Config(duration=8, connections=16, workers=2)
BOUND = 40.0  # the run's own asyncio bound: start, load, drain, statistics
HARD_TIMEOUT = 75.0  # the watchdog: BOUND + stopping the server (STOP_TIMEOUT) + margin

pytestmark = [
    pytest.mark.slow,
    # CI installs redis-server (.ci/run): there a missing one fails the run instead.
    pytest.mark.skipif(
        shutil.which("redis-server") is None and not os.environ.get("CI"),
        reason="needs redis-server",
    ),
]


@pytest.fixture(scope="module")
def result() -> faults.Result:
    run = faults.FaultRun(CONFIG, bound=BOUND)
    watchdog = threading.Timer(HARD_TIMEOUT, run.abort)
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    try:
        outcome = run.execute()
    finally:
        watchdog.cancel()
        watchdog.join(timeout=5)
    assert not run.aborted, f"the run outlived {HARD_TIMEOUT:g} s and was killed"
    assert time.monotonic() - started < HARD_TIMEOUT
    return outcome


def test_every_invariant_holds(result: faults.Result) -> None:
    failed = [(what, figures) for what, held, figures in result.invariants() if not held]
    assert not failed, faults.report(result)


def test_every_answer_is_the_expected_one(result: faults.Result) -> None:
    unexpected = [f"{r.category}: {r.detail}" for r in result.unexpected()]
    assert not unexpected, "\n".join(unexpected[:20])
    grouped = result.by_category()
    for name in faults.REQUIRED:
        assert grouped[name], f"no {name} call was made"
    assert {r.status for r in grouped["replay"]} == {401}
    assert {r.status for r in grouped["replay_aof"]} == {401}
    assert {r.status for r in grouped["replay_outage"]} == {200}
    assert {r.status for r in grouped["oversized"]} == {413}
    assert max(r.latency for r in grouped["hang"]) <= DEADLINE + faults.HANG_SLACK


def test_statistics_count_every_call_across_the_outage(result: faults.Result) -> None:
    assert result.statistics_scope == "deployment"
    assert faults.uncertain_calls(result.records) == 0  # every call got an answer
    expected = result.expected_statistics()
    assert {name: result.statistics.get(name) for name in expected} == expected
    grouped = result.by_category()
    assert expected["total"] == sum(
        len(records)
        for name, records in grouped.items()
        if name not in ("unknown_webhook", "bad_secret")
    )
    # Wrong-signature calls name the webhook but its secret did not sign them: counted apart.
    assert result.statistics["unverified"] == len(grouped["bad_secret"])


def test_workers_survive_without_leaks(result: faults.Result) -> None:
    assert len(result.pids_before) == CONFIG.workers
    assert result.pids_after == result.pids_before == result.pids_alive_after
    for pid in result.pids_before:
        before, after = result.samples_before[pid], result.samples_after[pid]
        assert after.client_connections == 0
        assert after.other_fds <= before.other_fds + faults.OTHER_FD_GROWTH_MAX
        assert after.stale_redis_connections == 0
        assert after.redis_connections <= CONFIG.connections + faults.REDIS_CONNECTIONS_OVER_CLIENTS
        assert after.rss_kib - before.rss_kib <= faults.RSS_GROWTH_MAX_MIB * 1024


def test_the_server_stopped_cleanly(result: faults.Result) -> None:
    assert result.serve_exit == 0
    assert result.log_counts["internal errors"] == 0
    # Each worker saw the store go away and come back.
    assert result.log_counts["store unavailable"] >= CONFIG.workers
    assert result.log_counts["store back"] >= CONFIG.workers
