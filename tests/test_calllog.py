"""The call line: one INFO line per call on ``receiver.calls``, made without a stack walk."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from receiver import Receiver, calllog
from tests.conftest import SECRET, WEBHOOK_ID, post

pytestmark = pytest.mark.anyio


def make_app() -> Receiver:
    return Receiver(secrets={WEBHOOK_ID: SECRET})


async def test_the_call_line_says_where_it_comes_from_and_obeys_filters(
    purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The line is made without Logger.info's stack walk; it still names its origin, and the
    logger's filters and ``disabled`` still apply."""
    caplog.set_level(logging.INFO, logger="receiver.calls")
    app = make_app()
    app.validate_purchase_order_draft(lambda order: order)
    await post(app, purchase_order)
    (record,) = [r for r in caplog.records if r.name == "receiver.calls"]
    assert Path(record.pathname) == Path(calllog.__file__)
    assert record.funcName == "log_call"
    assert record.levelname == "INFO"
    assert record.getMessage().startswith(f"call webhook_id={WEBHOOK_ID} type=")

    calls = logging.getLogger("receiver.calls")
    caplog.clear()
    refuse_all = logging.Filter("nothing.matches")
    calls.addFilter(refuse_all)
    try:
        await post(app, purchase_order)
    finally:
        calls.removeFilter(refuse_all)
    assert [r for r in caplog.records if r.name == "receiver.calls"] == []
    calls.disabled = True
    try:
        await post(app, purchase_order)
    finally:
        calls.disabled = False
    assert [r for r in caplog.records if r.name == "receiver.calls"] == []


# -- mounting and lifespan ------------------------------------------------------------------
