"""Over real HTTP on loopback: a Receiver served by uvicorn in a thread, called by the
simulator's own HTTP client (``allow_http``), and the simulator itself served by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from receiver.simulator import create_simulator
from receiver.simulator._server import ServerThread, bind_socket, url_of

from .conftest import PRODUCT, SECRET, VALIDATE, WEBHOOKS, make_vendor, purchase_order

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vendor_url() -> Iterator[str]:
    with ServerThread(make_vendor()) as server:
        yield server.url


def test_the_simulator_calls_a_receiver_over_loopback_http(vendor_url: str) -> None:
    simulator = create_simulator(allow_http=True, call_timeout=5)
    with (
        ServerThread(simulator) as platform,
        httpx.Client(
            base_url=platform.url, headers={"Authorization": f"Bearer {simulator.token}"}
        ) as api,
    ):
        created = api.post(
            WEBHOOKS,
            json={
                "type": "ValidatePurchaseOrderDraft",
                "url": f"{vendor_url}/",
                "criteria": {"product.id": PRODUCT},
                "secret": SECRET,
            },
        )
        accepted = api.post(VALIDATE, json=purchase_order("reprice"))
        refused = api.post(VALIDATE, json=purchase_order("refuse-parameter"))
        webhook = api.get(
            f"{WEBHOOKS}/{created.json()['id']}", params={"select": "+statistics,+lastCall"}
        ).json()
        health = httpx.get(f"{platform.url}/healthz")

    simulator.close()
    assert created.status_code == 201, created.text
    assert accepted.status_code == 200
    assert accepted.json()["lines"][0]["price"]["unitPP"] == 93.17
    assert refused.headers["x-simulator-outcome"] == "refused"
    assert webhook["statistics"]["successes"] == 2
    assert f"Host: 127.0.0.1:{vendor_url.rsplit(':', 1)[1]}" in webhook["lastCall"]["headers"]
    assert health.json() == {"status": "ok"}


def test_a_closed_port_is_unreachable(vendor_url: str) -> None:
    closed = bind_socket()  # bound, never listening: connections are refused
    url = url_of(closed)
    simulator = create_simulator(allow_http=True, call_timeout=5)
    with (
        ServerThread(simulator) as platform,
        httpx.Client(
            base_url=platform.url, headers={"Authorization": f"Bearer {simulator.token}"}
        ) as api,
    ):
        api.post(
            WEBHOOKS,
            json={
                "type": "ValidatePurchaseOrderDraft",
                "url": f"{url}/",
                "criteria": {"product.id": PRODUCT},
            },
        ).raise_for_status()
        response = api.post(VALIDATE, json=purchase_order())

    closed.close()
    simulator.close()
    assert response.status_code == 200
    assert response.headers["x-simulator-outcome"] == "unreachable"


def test_a_server_that_cannot_start_says_so() -> None:
    def broken_app(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("no lifespan for you")

    with pytest.raises(RuntimeError, match="did not start"):
        ServerThread(broken_app).start()
