"""Prometheus metrics: counts by closed label sets, behind the admin token, off by default."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from receiver import Order, Receiver
from tests.conftest import OTHER_SECRET, SECRET, WEBHOOK_ID, auth, post, pyjwt_token

pytestmark = pytest.mark.anyio
ADMIN = "metrics-admin-token-0001"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(app: Receiver, token: str | None = ADMIN) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://x") as client:
        return await client.get("/_receiver/metrics", headers=auth(token) if token else {})


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_calls_are_counted_by_type_outcome_status_and_reason(
    purchase_order: dict[str, Any],
) -> None:
    app = Receiver(secrets={WEBHOOK_ID: SECRET}, metrics=True, admin_token=ADMIN, deadline=0.05)

    @app.validate_purchase_order_draft
    async def check(order: Order) -> Order:
        if order.external_ids and order.external_ids.vendor == "slow":
            await asyncio.sleep(1)
        return order

    before = (await scrape(app)).text
    await post(app, purchase_order)
    await post(app, purchase_order)
    await post(app, purchase_order, token=pyjwt_token(OTHER_SECRET))  # bad signature
    for n in range(5):  # forged ids: no series of their own
        await post(app, purchase_order, token=pyjwt_token(webhook_id=f"WBH-0000-{n:04d}"))
    await post(app, {**purchase_order, "externalIds": {"vendor": "slow"}})  # deadline
    after = (await scrape(app)).text

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    purchase = "ValidatePurchaseOrderDraft"
    assert (
        grew("receiver_calls_total", webhook_type=purchase, outcome="accepted", status="200") == 2
    )
    assert (
        grew("receiver_calls_total", webhook_type="unknown", outcome="unauthorized", status="401")
        == 6
    )
    assert grew("receiver_calls_total", webhook_type=purchase, outcome="failed", status="500") == 1
    assert grew("receiver_token_refusals_total", reason="bad_signature") == 1
    assert grew("receiver_token_refusals_total", reason="unknown_webhook") == 5
    assert grew("receiver_deadline_misses_total", webhook_type=purchase) == 1
    assert grew("receiver_secret_lookups_total", result="hit") == 4
    assert grew("receiver_secret_lookups_total", result="miss") == 5
    assert grew("receiver_call_duration_seconds_count", webhook_type=purchase) == 3
    assert "WBH-0000" not in after
    assert WEBHOOK_ID not in after


async def test_the_route_is_behind_the_admin_token_and_off_by_default() -> None:
    guarded = Receiver(secrets={WEBHOOK_ID: SECRET}, metrics=True, admin_token=ADMIN)
    assert (await scrape(guarded, token=None)).status_code == 401
    assert (await scrape(guarded, token="wrong-token-wrong-token")).status_code == 401
    answer = await scrape(guarded)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    open_metrics = Receiver(secrets={WEBHOOK_ID: SECRET}, metrics=True)
    assert (await scrape(open_metrics, token=None)).status_code == 200
    off = Receiver(secrets={WEBHOOK_ID: SECRET}, admin_token=ADMIN)
    assert (await scrape(off)).status_code == 404


async def test_metrics_are_turned_on_by_their_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEIVER_METRICS", "1")
    app = Receiver(secrets={WEBHOOK_ID: SECRET})
    assert app.settings.metrics is True
    assert (await scrape(app, token=None)).status_code == 200


@pytest.mark.slow
def test_two_workers_add_up(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, purchase_order: dict[str, Any]
) -> None:
    """``receiver serve --workers 2``: each call counted once, whichever worker answered it."""
    from tests.test_serve_process import SECRET as SERVED_SECRET
    from tests.test_serve_process import serving

    monkeypatch.setenv("RECEIVER_METRICS", "1")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    calls = 40
    with serving(tmp_path, "--workers", "2") as server:
        pids = set()
        for _ in range(calls):  # a new connection each: both workers answer some
            answer = httpx.post(
                server.url("/ValidateTerminateOrder"),
                json={**purchase_order, "type": "Termination"},
                headers=auth(pyjwt_token(secret=SERVED_SECRET)),
                timeout=10,
            )
            assert answer.status_code == 200
            pids.add(answer.json()["notes"])
        texts = [httpx.get(server.url("/_receiver/metrics"), timeout=10).text for _ in range(4)]
    assert len(pids) == 2, "both workers answered"
    for text in texts:  # whichever worker is scraped, it tells the whole server's numbers
        counted = value(
            text,
            "receiver_calls_total",
            webhook_type="ValidateTerminateOrder",
            outcome="accepted",
            status="200",
        )
        assert counted == calls
