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


@pytest.mark.parametrize(
    "object_id",
    [
        pytest.param("ORD-1\nINFO receiver.calls call webhook_id=forged", id="newline"),
        pytest.param("ORD-1\r\x1b[2K forged", id="carriage-return-and-escape"),
        pytest.param("ORD-1\u2028forged", id="line-separator"),
        pytest.param("ORD-" + "9" * 1_000_000, id="one-megabyte"),
    ],
)
async def test_an_object_id_cannot_forge_or_flood_the_call_log(
    object_id: str, purchase_order: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="receiver")
    app = make_app()

    @app.validate_purchase_order_draft
    def fail(order: Any) -> Any:
        raise RuntimeError("boom")

    await post(app, {**purchase_order, "id": object_id})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2  # the handler's failure, then the call line
    for line in lines:
        assert not any(ch in line for ch in "\n\r\x1b\u2028")
        assert len(line) < 600
    (call,) = [r for r in caplog.records if r.name == "receiver.calls"]
    assert "\n" not in call.object_id  # type: ignore[attr-defined]
    assert len(call.object_id) <= calllog.MAX_LOG_FIELD  # type: ignore[attr-defined]
