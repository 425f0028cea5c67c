"""Two receiver instances (separate `receiver serve` processes) on one Redis: the statistics of
the whole deployment on either, and a token replayed on the other instance caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SECRET, WEBHOOK_ID, pyjwt_token, stop_process
from tests.redis_server import free_port
from tests.store_app import ADMIN_TOKEN

ROOT = Path(__file__).resolve().parent.parent
BOUND = 20.0


def start_instance(store_url: str) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    env = {
        **os.environ,
        "RECEIVER_SECRETS": json.dumps({WEBHOOK_ID: SECRET}),
        "RECEIVER_STORE": store_url,
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "receiver.cli", "serve", "tests.store_app:app",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    stop_process(process, BOUND)
    raise AssertionError(
        f"instance not ready in {BOUND}s: {process.stderr and process.stderr.read()}"
    )


@pytest.fixture
def instances(redis_url: str, redis_prefix: str) -> Iterator[list[str]]:
    store_url = f"{redis_url}?prefix={redis_prefix}"
    started: list[subprocess.Popen[str]] = []
    try:
        bases = []
        for _ in range(2):
            process, base = start_instance(store_url)
            started.append(process)
            bases.append(base)
        yield bases
    finally:
        logs = [stop_process(process, BOUND) for process in started]
        for log in logs:
            assert "Traceback" not in log
            assert SECRET not in log


def call(base: str, body: dict[str, Any], token: str) -> httpx.Response:
    return httpx.post(
        f"{base}/ValidatePurchaseOrderDraft",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=BOUND,
    )


def deployment_statistics(base: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{base}/_receiver/webhooks/{WEBHOOK_ID}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=BOUND,
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


@pytest.mark.slow
def test_two_instances_share_statistics_and_catch_a_replay(
    instances: list[str], purchase_order: dict[str, Any]
) -> None:
    first, second = instances
    sent = {first: 0, second: 0}
    for number in range(10):
        base = instances[number % 2]
        body = dict(purchase_order, notes=f"call {number}")
        assert call(base, body, pyjwt_token(jti=f"call-{number}")).status_code == 200
        sent[base] += 1

    token = pyjwt_token(jti="replayed")
    assert call(first, purchase_order, token).status_code == 200
    replayed = call(second, dict(purchase_order, notes="tampered"), token)
    assert replayed.status_code == 401
    assert replayed.json()["id"] == "token_replayed"
    retried = call(second, purchase_order, token)  # the platform's retry: same body
    assert retried.status_code == 200

    expected = {"total": 13, "successes": 12, "failures": 1, "failuresSinceLastSuccess": 0}
    deadline = time.monotonic() + BOUND
    views: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        views = [deployment_statistics(base) for base in instances]
        if all(view["statistics"] == expected for view in views):
            break
        time.sleep(0.1)
    for view in views:
        assert view["$meta"]["scope"] == "deployment"
        assert view["statistics"] == expected
        assert view["lastFailure"]["outcome"] == "unauthorized"
        assert view["lastFailure"]["httpStatusCode"] == "Unauthorized"
