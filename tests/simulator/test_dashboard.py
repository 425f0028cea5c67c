"""The dashboard: what it shows, that it escapes what vendors send, and how a browser renders it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from receiver.simulator import create_simulator
from receiver.simulator._server import ServerThread

from .conftest import (
    BASE_URL,
    PRODUCT,
    SECRET,
    VALIDATE,
    WEBHOOKS,
    Env,
    make_vendor,
    purchase_order,
    simulated,
)
from .test_validate import _app

pytestmark = pytest.mark.anyio

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
# Debian's chromium; RECEIVER_TEST_CHROMIUM points elsewhere (another build, a wrapper).
CHROMIUM = Path(os.environ.get("RECEIVER_TEST_CHROMIUM", "/usr/bin/chromium"))


async def page(env: Env, query: str = "") -> httpx.Response:
    response = await env.api.get(f"/{query}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


async def test_an_empty_dashboard_says_how_to_start(env: Env) -> None:
    html = (await page(env)).text

    assert 'id="no-webhooks"' in html
    assert 'id="no-calls"' in html
    assert '<meta http-equiv="refresh" content="5">' in html


async def test_the_dashboard_shows_webhooks_statistics_and_last_calls(env: Env) -> None:
    accepted = await env.create(description="Purchase drafts")
    refusing = await env.create(type="ValidateChangeOrderDraft", status="Disabled")
    await env.validate(purchase_order("reprice"))
    await env.validate(purchase_order("refuse-parameter", id="ORD-1111-1111-1111"))
    await env.validate(purchase_order(id="ORD-2222-2222-2222", product="PRD-9"))

    response = await page(env)
    html = response.text

    assert accepted["id"] in html
    assert refusing["id"] in html
    assert "Purchase drafts" in html
    assert ">Disabled<" in html
    assert ">Enabled<" in html
    row = html[html.index(f'<tr id="{accepted["id"]}">') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "2", "0", "0"]
    assert "lines[ALI-3156-8071-4437-0001].price.unitPP: 100.0 -&gt; 93.17" in html
    assert "parameters.ordering[companyName].error = VND001: Company name is required." in html
    assert "none matched" in html
    assert "ORD-2222-2222-2222" in html
    assert SECRET not in html
    assert env.sim.token not in html
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_vendor_answers_are_escaped() -> None:
    async def evil(request: Request) -> Response:
        order = purchase_order()
        order["error"] = {"id": XSS, "message": XSS}
        order["parameters"]["ordering"][0]["value"] = XSS
        return JSONResponse(order)

    async with simulated(_app(evil)) as env:
        await env.create(description=XSS)
        await env.validate(purchase_order())
        html = (await page(env)).text

    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html


async def test_failed_calls_show_their_error_and_attempts() -> None:
    async def garbage(request: Request) -> Response:
        return Response(b"<oops>", media_type="application/json")

    async with simulated(_app(garbage), retry_delay=0) as env:
        await env.create()
        await env.validate(purchase_order())
        html = (await page(env)).text

    assert "3 attempts" in html
    assert "The answer is not JSON" in html
    assert "&lt;oops&gt;" in html


@pytest.mark.parametrize(
    ("query", "refresh"),
    [
        pytest.param("?refresh=0", None, id="off"),
        pytest.param("?refresh=30", "30", id="thirty"),
        pytest.param("?refresh=3600", "3600", id="an-hour"),
        pytest.param("?refresh=0030", "30", id="leading-zeros"),
    ],
)
async def test_auto_refresh_can_be_changed(env: Env, query: str, refresh: str | None) -> None:
    html = (await page(env, query)).text

    if refresh is None:
        assert "http-equiv" not in html
        assert "auto-refresh off" in html
    else:
        assert f'<meta http-equiv="refresh" content="{refresh}">' in html


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("%C2%B2", id="superscript-two"),
        pytest.param("%D9%A5", id="arabic-indic-five"),
        pytest.param("9" * 5000, id="thousands-of-digits"),
        pytest.param("0" * 5000 + "5", id="thousands-of-zeros"),
        pytest.param("3601", id="over-an-hour"),
        pytest.param("-1", id="negative"),
        pytest.param("soon", id="word"),
        pytest.param("", id="empty"),
    ],
)
async def test_a_bad_refresh_is_a_400_problem(env: Env, value: str) -> None:
    response = await env.api.get(f"/?refresh={value}")

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "refresh must be a whole number between 0 and 3600" in detail
    assert len(detail) < 600


# -- a real browser -----------------------------------------------------------------------------


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("RECEIVER_TEST_ARTIFACTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def served_dashboard() -> Iterator[tuple[str, str]]:
    """A simulator with one webhook and two calls (made in-process, through a Receiver),
    then served by uvicorn on loopback for the browser."""
    app: Any = make_vendor()
    vendor = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    simulator = create_simulator(http_client=vendor, token="dashboard-token")

    async def populate() -> str:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=simulator),
            base_url=BASE_URL,
            headers={"Authorization": "Bearer dashboard-token"},
        ) as api:
            created = await api.post(
                WEBHOOKS,
                json={
                    "type": "ValidatePurchaseOrderDraft",
                    "url": "https://vendor.example/",
                    "criteria": {"product.id": PRODUCT},
                    "secret": SECRET,
                },
            )
            await api.post(VALIDATE, json=purchase_order("reprice"))
            await api.post(VALIDATE, json=purchase_order("refuse-order", id="ORD-1-1-1"))
        webhook_id: str = created.json()["id"]
        return webhook_id

    webhook_id = anyio.run(populate)
    with ServerThread(simulator) as server:
        yield server.url, webhook_id
    anyio.run(vendor.aclose)
    simulator.close()


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.slow
@pytest.mark.skipif(
    not (CHROMIUM.exists() and shutil.which(str(CHROMIUM))),
    reason=f"{CHROMIUM} is not installed (Debian package 'chromium'); the browser test needs it",
)
def test_a_headless_browser_renders_the_dashboard(
    served_dashboard: tuple[str, str], artifacts: Path, tmp_path: Path
) -> None:
    url, webhook_id = served_dashboard
    screenshot = artifacts / "simulator-dashboard.png"
    screenshot.unlink(missing_ok=True)

    shot = _chromium(
        f"--screenshot={screenshot}",
        "--window-size=1280,900",
        f"{url}/?refresh=0",
        profile=tmp_path / "profile-shot",
    )
    dom = _chromium("--dump-dom", f"{url}/?refresh=0", profile=tmp_path / "profile-dom")

    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.exists(), shot.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # a blank page compresses to a few hundred bytes
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert webhook_id in dom.stdout
    assert "price.unitPP: 100.0 -&gt; 93.17" in dom.stdout
