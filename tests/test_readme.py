"""The README's Quick start answers real orders: its handler, run as written, accepts an order
without the parameter it checks and refuses one where it is empty."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from receiver import Receiver
from receiver.testing import PlatformClient, samples
from receiver.testing.samples import REMOVE

README = Path(__file__).resolve().parent.parent / "README.md"
WEBHOOK_ID = "WBH-5433-8787"
SECRET = "the-webhook-secret"


def quick_start_app() -> Receiver:
    """The Quick start's ``acme.py``, executed as it is printed."""
    (code,) = re.findall(r"```python\n(# acme\.py\n.*?)```", README.read_text(), re.S)
    namespace: dict[str, Any] = {"__name__": "acme"}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    app = namespace["app"]
    assert isinstance(app, Receiver)
    return app


@pytest.fixture
def platform() -> PlatformClient:
    return PlatformClient(quick_start_app(), secret=SECRET, webhook_id=WEBHOOK_ID)


def test_the_quick_start_accepts_an_order_without_the_parameter(platform: PlatformClient) -> None:
    # A transfer, or another product's order: no companyName at all.
    order = samples.with_overrides(
        samples.purchase_order(), {"parameters.ordering.companyName": REMOVE}
    )

    result = platform.call("ValidatePurchaseOrderDraft", order)

    assert result.status == 200, result
    assert result.accepted


def test_the_quick_start_refuses_an_empty_company_name(platform: PlatformClient) -> None:
    order = samples.purchase_order(parameters={"companyName": ""})

    result = platform.call("ValidatePurchaseOrderDraft", order)

    assert result.refused, result
    error = result.parameter_error("companyName")
    assert error is not None
    assert error["id"] == "ACME001"
